using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ArFleet.Recognition;

/// <summary>The fingerprints (ImageFingerprint) of each target's recognised scans in Redis, to find an image that another
/// user or device already sent. The frame's 64-bit hash is cut into four 16-bit bands, each a set per target, so a copy
/// within 3 bits shares a band for certain (and one within MaxFrameBits mostly); a candidate counts when both its frame's
/// and its region's hashes are near. Check and record are one Lua script, so eight users sending one image at once find
/// each other. The same scan delivered again (a retry under its Idempotency-Key is the same scan) is not a duplicate.</summary>
public sealed class ImageReuseRegistry(IConnectionMultiplexer redis, IOptions<RecognitionOptions> options)
{
    private readonly TimeSpan lifetime = TimeSpan.FromDays(options.Value.ImageReuseDays);

    // ARGV: frame hash (hi, lo), region hash (hi, lo) as 32-bit unsigned numbers, scan id, owner, max frame bits, max region
    // bits, lifetime in seconds. Entries are "frameHi frameLo regionHi regionLo scanId owner". Returns the earlier scan's id.
    private const string Script = """
        local function bits(a, b)
          local x = bit.bxor(a, b)
          local n = 0
          while x ~= 0 do x = bit.band(x, x - 1); n = n + 1 end
          return n
        end
        local fh, fl, rh, rl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local entry = table.concat({ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]}, ' ')
        for _, key in ipairs(KEYS) do
          for _, member in ipairs(redis.call('SMEMBERS', key)) do
            local f = {}
            for part in string.gmatch(member, '%S+') do f[#f + 1] = part end
            if f[5] == ARGV[5] then return false end
            if f[6] ~= ARGV[6]
              and bits(tonumber(f[1]), fh) + bits(tonumber(f[2]), fl) <= tonumber(ARGV[7])
              and bits(tonumber(f[3]), rh) + bits(tonumber(f[4]), rl) <= tonumber(ARGV[8]) then
              return f[5]
            end
          end
        end
        for _, key in ipairs(KEYS) do
          redis.call('SADD', key, entry)
          redis.call('EXPIRE', key, ARGV[9])
        end
        return false
        """;

    /// <summary>The id of an earlier scan of the target, by another user or device, whose image this one's is; else null, and
    /// this scan is recorded.</summary>
    public async Task<Guid?> EarlierSenderAsync(Guid targetId, (ulong Region, ulong Frame) fingerprint, Guid scanId, string userId, string deviceId)
    {
        var frame = fingerprint.Frame;
        RedisKey[] keys = Enumerable.Range(0, 4).Select(band => (RedisKey)$"reuse:{targetId:N}:{band}:{(frame >> (16 * band)) & 0xFFFF:x4}").ToArray();
        // The owner as one token: the pair (user, device), hashed so that neither needs escaping.
        var owner = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{userId}\n{deviceId}")))[..32];
        RedisValue[] values =
        [
            (long)(frame >> 32), (long)(frame & 0xFFFFFFFF), (long)(fingerprint.Region >> 32), (long)(fingerprint.Region & 0xFFFFFFFF),
            scanId.ToString("N"), owner, RecognitionThresholds.ImageReuse.MaxFrameBits, RecognitionThresholds.ImageReuse.MaxRegionBits,
            (long)lifetime.TotalSeconds,
        ];
        var result = await redis.GetDatabase().ScriptEvaluateAsync(Script, keys, values);
        return result.IsNull || !Guid.TryParse((string?)result, out var earlier) ? null : earlier;
    }
}
