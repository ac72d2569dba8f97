using StackExchange.Redis;

namespace ArFleet.ServiceDefaults;

/// <summary>The claim-check store for scan images: ingest puts the frame here and sends only its key through
/// RabbitMQ; recognition takes it and removes it once the scan is recognised (keeping the result in its place).
/// Entries also expire, so an abandoned scan leaves nothing behind; Redis runs with noeviction, so a frame still
/// waiting is never evicted to make room (ingest refuses new scans with 503 instead).</summary>
public sealed class ImageClaimCheck(IConnectionMultiplexer redis)
{
    private const string Prefix = "claim:img:";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    public static string KeyFor(Guid scanId) => Prefix + scanId.ToString("N");

    public async Task<string> PutAsync(Guid scanId, byte[] image)
    {
        var key = KeyFor(scanId);
        await redis.GetDatabase().StringSetAsync(key, image, Lifetime);
        return key;
    }

    public async Task<byte[]?> GetAsync(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var value = await redis.GetDatabase().StringGetAsync(key);
        return value.IsNull ? null : (byte[]?)value;
    }

    /// <summary>A frame no longer needed (recognised, or an Idempotency-Key's repeat); best effort: a frame left behind
    /// expires with its lifetime.</summary>
    public async Task RemoveAsync(string key)
    {
        if (key.StartsWith(Prefix, StringComparison.Ordinal)) await redis.GetDatabase().KeyDeleteAsync(key, CommandFlags.FireAndForget);
    }
}
