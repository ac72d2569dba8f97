using System.Security.Cryptography;
using System.Text;
using ArFleet.Contracts;
using StackExchange.Redis;

namespace ArFleet.Recognition;

/// <summary>Who scans a target from where, in Redis, over a sliding day: the distinct users seen on each device and the
/// distinct devices seen for each user, per target and app (each app names its own users and devices). A device shared
/// by many accounts is an account farm's; a user on many devices spoofs device ids. The counts go to campaign-rules, whose
/// campaign caps and policy turn them into fraud reasons. Sets of hashed ids, so neither needs escaping; a redelivered
/// scan adds nothing.</summary>
public sealed class DeviceActivityRegistry(IConnectionMultiplexer redis)
{
    /// <summary>How long a pairing is remembered after its last scan: velocity is about recent activity, and a day bounds the
    /// memory to the day's active devices and users (about 150 bytes per device or user and target).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromDays(1);

    private const string Script = """
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        redis.call('SADD', KEYS[2], ARGV[2])
        redis.call('EXPIRE', KEYS[2], ARGV[3])
        return {redis.call('SCARD', KEYS[1]), redis.call('SCARD', KEYS[2])}
        """;

    public async Task<DeviceActivity> RecordAsync(Guid targetId, Guid appTenantId, string userId, string deviceId)
    {
        var (user, device) = (Token($"{appTenantId:N}\nuser\n{userId}"), Token($"{appTenantId:N}\ndevice\n{deviceId}"));
        RedisKey[] keys = [$"devices:{targetId:N}:users-of:{device}", $"devices:{targetId:N}:devices-of:{user}"];
        var counts = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, keys, [user, device, (long)Window.TotalSeconds]))!;
        return new DeviceActivity((int)counts[0], (int)counts[1]);
    }

    private static string Token(string id) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..32];
}
