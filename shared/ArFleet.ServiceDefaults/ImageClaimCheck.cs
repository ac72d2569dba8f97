using StackExchange.Redis;

namespace ArFleet.ServiceDefaults;

/// <summary>The claim-check store for scan images: ingest puts the frame here and sends only its key through
/// RabbitMQ; recognition takes it. Entries expire, so an abandoned scan leaves nothing behind.</summary>
public sealed class ImageClaimCheck(IConnectionMultiplexer redis)
{
    private const string Prefix = "claim:img:";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    public async Task<string> PutAsync(Guid scanId, byte[] image)
    {
        var key = Prefix + scanId.ToString("N");
        await redis.GetDatabase().StringSetAsync(key, image, Lifetime);
        return key;
    }

    public async Task<byte[]?> GetAsync(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var value = await redis.GetDatabase().StringGetAsync(key);
        return value.IsNull ? null : (byte[]?)value;
    }
}
