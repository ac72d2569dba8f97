using System.Collections.Concurrent;
using StackExchange.Redis;

namespace ArFleet.Ingest;

/// <summary>Lets a request wait for its scan's result. Whichever ingest instance consumes ScanResolved hands the stored
/// scan to its own waiters and announces it on a Redis channel, so that the instance holding the waiting request hears
/// it too (and reads the scan). The announcement only wakes the waiter early: callers also re-read the store now and
/// then, so a Redis outage slows waiting down but never breaks it.</summary>
public sealed class ScanWaiters(IConnectionMultiplexer redis, ILogger<ScanWaiters> logger)
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("ingest:scan-resolved");
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<ScanRecord?>> waiting = new();
    private readonly SemaphoreSlim subscribing = new(1, 1);
    private volatile bool subscribed;

    /// <summary>Registers interest before the caller re-reads the scan, so no announcement falls between the two.</summary>
    public async Task<Waiter> RegisterAsync(Guid scanId)
    {
        await EnsureSubscribedAsync();
        var source = waiting.GetOrAdd(scanId, _ => new TaskCompletionSource<ScanRecord?>(TaskCreationOptions.RunContinuationsAsynchronously));
        return new Waiter(this, scanId, source);
    }

    /// <summary><paramref name="stored"/> is the scan as its result was stored.</summary>
    public async Task AnnounceAsync(ScanRecord stored)
    {
        if (waiting.TryGetValue(stored.ScanId, out var local)) local.TrySetResult(stored);
        try { await redis.GetSubscriber().PublishAsync(Channel, stored.ScanId.ToString()); }
        catch (RedisException e) { logger.LogDebug(e, "Scan {ScanId} resolved without a wake-up: Redis is unavailable", stored.ScanId); }
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
                if (Guid.TryParse(message.ToString(), out var scanId) && waiting.TryGetValue(scanId, out var waiter)) waiter.TrySetResult(null);
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

    public sealed class Waiter(ScanWaiters owner, Guid scanId, TaskCompletionSource<ScanRecord?> source) : IDisposable
    {
        /// <summary>Completes when the scan is announced, or after <paramref name="poll"/>, whichever comes first: with the
        /// stored scan when this instance stored it, else with null (read the store).</summary>
        public async Task<ScanRecord?> WaitAsync(TimeSpan poll, CancellationToken cancellationToken)
        {
            try { return await source.Task.WaitAsync(poll, cancellationToken); }
            catch (TimeoutException) { return null; }
        }

        public void Dispose() => owner.waiting.TryRemove(scanId, out _);
    }
}
