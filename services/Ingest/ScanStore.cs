using System.Text.Json;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using StackExchange.Redis;

namespace ArFleet.Ingest;

/// <summary>A scan as the app sees it (docs/api.md), plus the app tenant that owns it.</summary>
public record ScanRecord(
    Guid ScanId,
    Guid AppTenantId,
    ScanStatus Status,
    ScanOutcome? Outcome,
    RecognizedTarget? Target,
    IssuedReward? Reward,
    CampaignAction? Action,
    string? TraceId,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ResolvedAt);

/// <summary>Scan records and Idempotency-Key claims in Redis under the "ingest:" prefix.</summary>
public sealed class ScanStore(IConnectionMultiplexer redis)
{
    public static readonly TimeSpan RecordLifetime = TimeSpan.FromDays(7);
    public static readonly TimeSpan IdempotencyLifetime = TimeSpan.FromHours(24);
    private IDatabase Db => redis.GetDatabase();

    private static string ScanKey(Guid scanId) => $"ingest:scan:{scanId:N}";
    private static string IdempotencyKey(Guid tenantId, string key) => $"ingest:idem:{tenantId:N}:{key}";

    /// <summary>Claims the key for <paramref name="scanId"/>; if it was claimed before, returns the earlier scan's id.</summary>
    public async Task<Guid?> ClaimIdempotencyKeyAsync(Guid tenantId, string key, Guid scanId)
    {
        var redisKey = IdempotencyKey(tenantId, key);
        if (await Db.StringSetAsync(redisKey, scanId.ToString("N"), IdempotencyLifetime, When.NotExists)) return null;
        var existing = await Db.StringGetAsync(redisKey);
        return existing.IsNull ? null : Guid.Parse(existing.ToString());
    }

    public Task ReleaseIdempotencyKeyAsync(Guid tenantId, string key) => Db.KeyDeleteAsync(IdempotencyKey(tenantId, key));

    public Task SaveAsync(ScanRecord scan) =>
        Db.StringSetAsync(ScanKey(scan.ScanId), JsonSerializer.SerializeToUtf8Bytes(scan, ServiceDefaultsExtensions.ApiJson), RecordLifetime);

    public Task DeleteAsync(Guid scanId) => Db.KeyDeleteAsync(ScanKey(scanId));

    public async Task<ScanRecord?> GetAsync(Guid scanId)
    {
        var value = await Db.StringGetAsync(ScanKey(scanId));
        return value.IsNull ? null : JsonSerializer.Deserialize<ScanRecord>((byte[])value!, ServiceDefaultsExtensions.ApiJson);
    }
}
