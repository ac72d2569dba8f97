using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace ArFleet.IsvWebhook;

/// <summary>Sends due deliveries. MaxConcurrentDeliveries senders take claimed deliveries from memory, each through its
/// endpoint's pipeline (<see cref="EndpointIsolation"/>), and hand what came of it to <see cref="DeliveryBookkeeping"/>;
/// one loop keeps up to <see cref="ClaimAhead"/> times as many claimed ahead, so a sender never waits for a claim. This
/// instance holds at most Isolation:MaxConcurrency of any endpoint's deliveries, so a slow or dead endpoint holds at most
/// its own cap of senders, for at most the timeout, and never the loop.</summary>
public sealed class DeliveryDispatcher(
    DeliveryQueue queue, DeliveryBookkeeping bookkeeping, EndpointIsolation isolation, IHttpClientFactory httpClients,
    IOptions<WebhookOptions> options, TimeProvider clock, ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    public const int ClaimAhead = 4;
    private static readonly ActivitySource Tracing = new("ArFleet.IsvWebhook");
    private static readonly TimeSpan RateLimitedWait = TimeSpan.FromMilliseconds(200);
    private readonly WebhookOptions options = options.Value;
    private readonly Dictionary<Guid, int> held = []; // claimed and not yet sent, or being sent, by endpoint; locked
    private int heldTotal;
    private readonly Channel<bool> sent = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var claimed = Channel.CreateUnbounded<ClaimedDelivery>(new UnboundedChannelOptions { SingleWriter = true });
        var senders = Enumerable.Range(0, options.MaxConcurrentDeliveries)
            .Select(_ => Task.Run(() => SendClaimedAsync(claimed.Reader, stoppingToken), CancellationToken.None)).ToArray();
        try
        {
            await ClaimAsync(claimed.Writer, stoppingToken);
        }
        finally
        {
            claimed.Writer.Complete();
            await Task.WhenAll(senders); // stopping, they give back what they have not sent
        }
    }

    private async Task ClaimAsync(ChannelWriter<ClaimedDelivery> claimed, CancellationToken stoppingToken)
    {
        var capacity = ClaimAhead * options.MaxConcurrentDeliveries;
        var worthAClaim = options.MaxConcurrentDeliveries;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var room = capacity - Volatile.Read(ref heldTotal);
                if (room < worthAClaim)
                {
                    await WaitForSendsAsync(stoppingToken);
                    continue;
                }
                var batch = await queue.ClaimDueAsync(room, options.Isolation.MaxConcurrency, Held(), stoppingToken);
                foreach (var delivery in batch)
                {
                    Hold(delivery.EndpointId, 1);
                    claimed.TryWrite(delivery); // unbounded: always taken
                }
                // Nothing due, or only for endpoints that have their share: until a send ends or the poll interval.
                if (batch.Count == 0) await WaitForSendsAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Claiming webhook deliveries failed; trying again");
                try { await Task.Delay(options.PollInterval, clock, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>What this instance holds by endpoint; an endpoint that cannot take a request now counts as full.</summary>
    private Dictionary<Guid, int> Held()
    {
        Dictionary<Guid, int> snapshot;
        lock (held) snapshot = new Dictionary<Guid, int>(held);
        foreach (var endpoint in isolation.Saturated()) snapshot[endpoint] = options.Isolation.MaxConcurrency;
        return snapshot;
    }

    private void Hold(Guid endpointId, int count)
    {
        lock (held)
        {
            var now = held.GetValueOrDefault(endpointId) + count;
            if (now == 0) held.Remove(endpointId);
            else held[endpointId] = now;
        }
        Interlocked.Add(ref heldTotal, count);
    }

    private async Task WaitForSendsAsync(CancellationToken stoppingToken)
    {
        using var poll = new CancellationTokenSource(options.PollInterval, clock);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, poll.Token);
        try { await sent.Reader.ReadAsync(wait.Token); }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { } // the poll interval is up
    }

    private async Task SendClaimedAsync(ChannelReader<ClaimedDelivery> claimed, CancellationToken stoppingToken)
    {
        // What a claim needs left to be sent and recorded before another instance may take it.
        var needed = options.Timeout + options.FlushInterval + WebhookOptionsValidation.LeaseMargin;
        await foreach (var delivery in claimed.ReadAllAsync(CancellationToken.None)) // to the end, also when stopping
        {
            try
            {
                if (stoppingToken.IsCancellationRequested || clock.GetUtcNow() + needed > delivery.LeaseEnds)
                    bookkeeping.Record(new DeliveryRelease(delivery.DeliveryId, delivery.EndpointId, null));
                else await DeliverAsync(delivery, stoppingToken);
            }
            catch (Exception e)
            {
                // The lease brings the delivery back; a database hiccup must not end a sender.
                logger.LogError(e, "Sending webhook delivery {DeliveryId} failed", delivery.DeliveryId);
            }
            finally
            {
                Hold(delivery.EndpointId, -1);
                sent.Writer.TryWrite(true);
            }
        }
    }

    private async Task DeliverAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
        var target = delivery.Target;
        if (target.Disabled)
        {
            // Enqueued as the endpoint was being disabled: it fails with the rest of its pending deliveries.
            await queue.FailPendingAsync(target.EndpointId, CancellationToken.None);
            return;
        }
        ActivityContext.TryParse(delivery.TraceParent, null, out var parent);
        using var activity = Tracing.StartActivity("webhook deliver", ActivityKind.Producer, parent);
        var started = clock.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        int? statusCode = null;
        string? error = null;
        TimeSpan? retryAfter = null;
        try
        {
            var webhookId = DeliveryQueue.WebhookId(delivery.DeliveryId);
            var timestamp = started.ToUnixTimeSeconds();
            var signature = WebhookSigner.Sign(target.Secrets, webhookId, timestamp, delivery.Body);
            var client = httpClients.CreateClient(HttpClientName);
            using var response = await isolation.For(delivery.EndpointId, target.RateLimitPerSecond).ExecuteAsync(async ct =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
                {
                    Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("webhook-id", webhookId);
                request.Headers.Add("webhook-timestamp", timestamp.ToString());
                request.Headers.Add("webhook-signature", signature);
                return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }, stoppingToken);
            statusCode = (int)response.StatusCode;
            retryAfter = response.Headers.RetryAfter?.Delta
                ?? (response.Headers.RetryAfter?.Date is { } date ? date - clock.GetUtcNow() : null);
        }
        catch (RateLimiterRejectedException e)
        {
            // Not an attempt: the endpoint already has its share in flight, or its rate is used up.
            bookkeeping.Record(new DeliveryRelease(delivery.DeliveryId, delivery.EndpointId, clock.GetUtcNow() + (e.RetryAfter ?? RateLimitedWait)));
            return;
        }
        catch (BrokenCircuitException e)
        {
            // Not an attempt: the endpoint has been failing; it is tried again when the circuit lets a trial through.
            bookkeeping.Record(new DeliveryRelease(delivery.DeliveryId, delivery.EndpointId,
                clock.GetUtcNow() + (e.RetryAfter ?? options.Isolation.BreakDuration)));
            return;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Not an attempt: stopping cut it short; the delivery goes back for the next instance rather than wait for its lease.
            bookkeeping.Record(new DeliveryRelease(delivery.DeliveryId, delivery.EndpointId, null));
            return;
        }
        catch (TimeoutRejectedException)
        {
            error = $"No response within {options.Timeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException e)
        {
            error = e.Message;
        }

        var succeeded = statusCode is >= 200 and < 300;
        DateTimeOffset? next = succeeded || statusCode == 410 ? null : NextAttempt(delivery.Attempts, statusCode, retryAfter, clock.GetUtcNow());
        bookkeeping.Record(new DeliveryAttempt(delivery.DeliveryId, delivery.EndpointId, started, statusCode, error, (int)stopwatch.ElapsedMilliseconds,
            succeeded, next));
        if (!succeeded)
            logger.LogInformation("Webhook delivery {DeliveryId} attempt {Attempt} failed: {Status} {Error}", delivery.DeliveryId, delivery.Attempts + 1,
                statusCode, error);
    }

    /// <summary>The schedule's wait for this attempt with ±10 % jitter; 429 and 503 may ask for longer with Retry-After.</summary>
    private DateTimeOffset? NextAttempt(int attemptsBefore, int? statusCode, TimeSpan? retryAfter, DateTimeOffset now)
    {
        if (attemptsBefore >= options.RetrySchedule.Length) return null;
        var wait = options.RetrySchedule[attemptsBefore] * (0.9 + Random.Shared.NextDouble() * 0.2);
        if (statusCode is 429 or 503 && retryAfter > wait) wait = retryAfter.Value;
        return now + wait;
    }
}
