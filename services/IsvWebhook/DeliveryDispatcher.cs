using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace ArFleet.IsvWebhook;

/// <summary>Sends due deliveries. Each send runs on its own task (bounded by MaxConcurrentDeliveries) through its
/// endpoint's pipeline (<see cref="EndpointIsolation"/>), so a slow or dead endpoint holds at most its own cap of
/// slots, for at most the timeout, and never the loop.</summary>
public sealed class DeliveryDispatcher(
    DeliveryQueue queue, EndpointStore endpoints, EndpointDisabler disabler, EndpointIsolation isolation, IHttpClientFactory httpClients,
    IOptions<WebhookOptions> options, TimeProvider clock, WebhookMetrics metrics, ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    private static readonly ActivitySource Tracing = new("ArFleet.IsvWebhook");
    private static readonly TimeSpan RateLimitedWait = TimeSpan.FromMilliseconds(200);
    private readonly WebhookOptions options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(options.MaxConcurrentDeliveries);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Wait for a free slot rather than sleeping a poll interval: with every slot busy, the next claim
                // should happen as soon as one send finishes.
                await slots.WaitAsync(stoppingToken);
                slots.Release();
                var free = slots.CurrentCount;
                var claimed = await queue.ClaimDueAsync(free, options.Isolation.MaxConcurrency, isolation.Saturated(), stoppingToken);
                var targets = claimed.Count == 0 ? new Dictionary<Guid, DeliveryTarget>()
                    : await endpoints.TargetsAsync([.. claimed.Select(c => c.EndpointId).Distinct()], stoppingToken);
                foreach (var delivery in claimed)
                {
                    // Gone: the endpoint was deleted with its deliveries after the claim.
                    if (!targets.TryGetValue(delivery.EndpointId, out var target)) continue;
                    await slots.WaitAsync(stoppingToken);
                    _ = Task.Run(async () =>
                    {
                        try { await DeliverAsync(delivery, target, stoppingToken); }
                        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                        {
                            // The lease brings the delivery back; a database hiccup must not end the dispatcher.
                            logger.LogError(e, "Recording webhook delivery {DeliveryId} failed", delivery.DeliveryId);
                        }
                        finally { slots.Release(); }
                    }, CancellationToken.None);
                }
                if (claimed.Count == 0) await Task.Delay(options.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Claiming webhook deliveries failed; trying again");
                await Task.Delay(options.PollInterval, clock, stoppingToken);
            }
        }
    }

    private async Task DeliverAsync(ClaimedDelivery delivery, DeliveryTarget target, CancellationToken stoppingToken)
    {
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
            await queue.DeferAsync(delivery.DeliveryId, clock.GetUtcNow() + (e.RetryAfter ?? RateLimitedWait), CancellationToken.None);
            return;
        }
        catch (BrokenCircuitException e)
        {
            // Not an attempt: the endpoint has been failing; it is tried again when the circuit lets a trial through.
            await queue.DeferAsync(delivery.DeliveryId, clock.GetUtcNow() + (e.RetryAfter ?? options.Isolation.BreakDuration), CancellationToken.None);
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
        var now = clock.GetUtcNow();
        DateTimeOffset? next = succeeded || statusCode == 410 ? null : NextAttempt(delivery.Attempts, statusCode, retryAfter, now);
        await queue.RecordAttemptAsync(delivery.DeliveryId, started, statusCode, error, (int)stopwatch.ElapsedMilliseconds, succeeded, next,
            CancellationToken.None);
        metrics.Attempted(succeeded, next);
        var failingSince = await endpoints.RecordOutcomeAsync(delivery.EndpointId, started, succeeded, CancellationToken.None);
        if (succeeded) return;
        logger.LogInformation("Webhook delivery {DeliveryId} attempt {Attempt} failed: {Status} {Error}", delivery.DeliveryId, delivery.Attempts + 1,
            statusCode, error);

        var reason = statusCode == 410 ? "The endpoint answered 410 Gone."
            : now - failingSince >= options.DisableAfter ? $"Every attempt has failed since {failingSince:O}."
            : null;
        if (reason is not null && await disabler.DisableAsync(delivery.EndpointId, reason, now, CancellationToken.None))
            logger.LogWarning("Webhook endpoint {EndpointId} disabled: {Reason}", delivery.EndpointId, reason);
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
