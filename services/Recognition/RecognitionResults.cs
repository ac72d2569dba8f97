using System.Text.Json;
using ArFleet.Contracts;
using StackExchange.Redis;

namespace ArFleet.Recognition;

/// <summary>Each scan's published result (ScanRecognized or ScanUnrecognized) in Redis for <see cref="Lifetime"/>, once
/// its frame is deleted: a ScanSubmitted delivered again (the broker restarted before the first delivery's acknowledgement
/// reached it) publishes the same result again instead of failing, for want of its frame, a scan already answered. A
/// result is about 0.8 KB (a one-target scan) where its frame was 40-100 KB, which the claim-check used to keep for that long instead.</summary>
public sealed class RecognitionResults(IConnectionMultiplexer redis)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    private static RedisKey Key(Guid scanId) => $"recognition:result:{scanId:N}";

    public Task StoreAsync(Guid scanId, object result) =>
        redis.GetDatabase().StringSetAsync(Key(scanId), $"{TypeTag(result)}\n{JsonSerializer.Serialize(result, result.GetType())}", Lifetime);

    /// <summary>The result published for the scan, or null when there is none (never recognised, or longer ago than Lifetime).</summary>
    public async Task<object?> FindAsync(Guid scanId)
    {
        var stored = (string?)await redis.GetDatabase().StringGetAsync(Key(scanId));
        if (stored?.Split('\n', 2) is not [var tag, var json]) return null;
        return tag switch
        {
            nameof(ScanRecognized) => JsonSerializer.Deserialize<ScanRecognized>(json),
            nameof(ScanUnrecognized) => JsonSerializer.Deserialize<ScanUnrecognized>(json),
            _ => null,
        };
    }

    private static string TypeTag(object result) => result switch
    {
        ScanRecognized => nameof(ScanRecognized),
        ScanUnrecognized => nameof(ScanUnrecognized),
        _ => throw new ArgumentException($"Not a recognition result: {result.GetType().Name}", nameof(result)),
    };
}
