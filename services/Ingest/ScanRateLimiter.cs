using StackExchange.Redis;

namespace ArFleet.Ingest;

public sealed class ScanRateOptions
{
    public int PerUserPerMinute { get; set; } = 120;
    public int PerDevicePerMinute { get; set; } = 120;
}

/// <summary>Per-user and per-device scan rate limits, in fixed one-minute windows counted in Redis so every
/// ingest instance shares them. Both counters move in one script, so a refused scan counts against neither.</summary>
public sealed class ScanRateLimiter(IConnectionMultiplexer redis, Microsoft.Extensions.Options.IOptions<ScanRateOptions> options, TimeProvider clock)
{
    private const string Script = """
        local user = tonumber(redis.call('GET', KEYS[1]) or '0')
        local device = tonumber(redis.call('GET', KEYS[2]) or '0')
        if user >= tonumber(ARGV[1]) or device >= tonumber(ARGV[2]) then return 0 end
        redis.call('INCR', KEYS[1])
        redis.call('EXPIRE', KEYS[1], 120)
        redis.call('INCR', KEYS[2])
        redis.call('EXPIRE', KEYS[2], 120)
        return 1
        """;

    /// <summary>Null when the scan may go ahead, else how long until the window turns.</summary>
    public async Task<TimeSpan?> TryAcquireAsync(Guid tenantId, string userId, string deviceId)
    {
        var now = clock.GetUtcNow();
        var window = now.ToUnixTimeSeconds() / 60;
        var allowed = (long)await redis.GetDatabase().ScriptEvaluateAsync(Script,
            [$"ingest:rate:{tenantId:N}:user:{userId}:{window}", $"ingest:rate:{tenantId:N}:device:{deviceId}:{window}"],
            [options.Value.PerUserPerMinute, options.Value.PerDevicePerMinute]);
        return allowed == 1 ? null : TimeSpan.FromSeconds(60 - now.ToUnixTimeSeconds() % 60);
    }
}
