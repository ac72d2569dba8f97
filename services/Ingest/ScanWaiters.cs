using System.Collections.Concurrent;
using StackExchange.Redis;

namespace ArFleet.Ingest;

/// <summary>Lets a request wait for its scan's result. Whichever ingest instance consumes ScanResolved announces it on
/// a Redis channel, so the instance holding the waiting request hears it too. The announcement only wakes the waiter
/// early: callers also re-read the store now and then, so a Redis outage slows waiting down but never breaks it.</summary>
public sealed class ScanWaiters(IConnectionMultiplexer redis, ILogger<ScanWaiters> logger)
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("ingest:scan-resolved");
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> waiting = new();
    private readonly SemaphoreSlim subscribing = new(1, 1);
    private volatile bool subscribed;

    /// <summary>Registers interest before the caller re-reads the scan, so no announcement falls between the two.</summary>
    public async Task<Waiter> RegisterAsync(Guid scanId)
    {
        await EnsureSubscribedAsync();
        var source = waiting.GetOrAdd(scanId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return new Waiter(this, scanId, source);
    }

    public async Task AnnounceAsync(Guid scanId)
    {
        try { await redis.GetSubscriber().PublishAsync(Channel, scanId.ToString()); }
        catch (RedisException e) { logger.LogDebug(e, "Scan {ScanId} resolved without a wake-up: Redis is unavailable", scanId); }
    }

    private async Task EnsureSubscribedAsync()
    {
        if (subscribed) return;
        await subscribing.WaitAsync();
        try
        {
            if (subscribed) return;
            // StackExchange.Redis restores the subscription itself after a reconnect.
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) =>
            {
                if (Guid.TryParse(message.ToString(), out var scanId) && waiting.TryGetValue(scanId, out var waiter)) waiter.TrySetResult();
            });
            subscribed = true;
        }
        catch (RedisException e)
        {
            logger.LogDebug(e, "Waiting without wake-ups: Redis is unavailable");
        }
        finally
        {
            subscribing.Release();
        }
    }

    public sealed class Waiter(ScanWaiters owner, Guid scanId, TaskCompletionSource source) : IDisposable
    {
        /// <summary>Completes when the scan is announced, or after <paramref name="poll"/>, whichever comes first.</summary>
        public async Task WaitAsync(TimeSpan poll, CancellationToken cancellationToken)
        {
            try { await source.Task.WaitAsync(poll, cancellationToken); }
            catch (TimeoutException) { }
        }

        public void Dispose() => owner.waiting.TryRemove(scanId, out _);
    }
}
