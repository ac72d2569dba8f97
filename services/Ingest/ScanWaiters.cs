using System.Collections.Concurrent;
using StackExchange.Redis;

namespace ArFleet.Ingest;

/// <summary>Lets a request wait for its scan's result. Whichever ingest instance consumes ScanResolved
/// announces it on a Redis channel, so the instance holding the waiting request hears it too.</summary>
public sealed class ScanWaiters
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("ingest:scan-resolved");
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> waiting = new();
    private readonly IConnectionMultiplexer redis;
    private readonly Lazy<Task> subscription;

    public ScanWaiters(IConnectionMultiplexer redis)
    {
        this.redis = redis;
        subscription = new Lazy<Task>(() => redis.GetSubscriber().SubscribeAsync(Channel, (_, message) =>
        {
            if (Guid.TryParse(message.ToString(), out var scanId) && waiting.TryGetValue(scanId, out var waiter))
                waiter.TrySetResult();
        }));
    }

    /// <summary>Registers interest before the caller re-reads the scan, so no announcement falls between the two.</summary>
    public async Task<Waiter> RegisterAsync(Guid scanId)
    {
        await subscription.Value;
        var source = waiting.GetOrAdd(scanId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return new Waiter(this, scanId, source.Task);
    }

    public Task AnnounceAsync(Guid scanId) => redis.GetSubscriber().PublishAsync(Channel, scanId.ToString());

    public sealed class Waiter(ScanWaiters owner, Guid scanId, Task resolved) : IDisposable
    {
        public Task Resolved { get; } = resolved;
        public void Dispose() => owner.waiting.TryRemove(scanId, out _);
    }
}
