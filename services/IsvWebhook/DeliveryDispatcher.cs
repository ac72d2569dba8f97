using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;

namespace ArFleet.IsvWebhook;

/// <summary>Sends due deliveries. Each send runs on its own (bounded by MaxConcurrentDeliveries), so a slow
/// endpoint holds only its own slots, for at most the timeout, and never the loop.</summary>
public sealed class DeliveryDispatcher(
    DeliveryQueue queue, IHttpClientFactory httpClients, IOptions<WebhookOptions> options, TimeProvider clock,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    private static readonly ActivitySource Tracing = new("ArFleet.IsvWebhook");
    private readonly WebhookOptions options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(options.MaxConcurrentDeliveries);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var free = slots.CurrentCount;
                var claimed = free == 0 ? [] : await queue.ClaimDueAsync(free, stoppingToken);
                foreach (var delivery in claimed)
                {
                    await slots.WaitAsync(stoppingToken);
                    _ = Task.Run(async () =>
                    {
                        try { await DeliverAsync(delivery, stoppingToken); }
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

    private async Task DeliverAsync(ClaimedDelivery delivery, CancellationToken stoppingToken)
    {
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
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("webhook-id", webhookId);
            request.Headers.Add("webhook-timestamp", timestamp.ToString());
            request.Headers.Add("webhook-signature", WebhookSigner.Sign(delivery.Secret, webhookId, timestamp, delivery.Body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.Timeout);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            statusCode = (int)response.StatusCode;
            retryAfter = response.Headers.RetryAfter?.Delta
                ?? (response.Headers.RetryAfter?.Date is { } date ? date - clock.GetUtcNow() : null);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            error = $"No response within {options.Timeout.TotalSeconds:0} s";
        }
        catch (HttpRequestException e)
        {
            error = e.Message;
        }

        var succeeded = statusCode is >= 200 and < 300;
        var now = clock.GetUtcNow();
        DateTimeOffset? next = succeeded || statusCode == 410 ? null : NextAttempt(delivery.Attempts, statusCode, retryAfter, now);
        await queue.RecordAttemptAsync(delivery.DeliveryId, started, statusCode, error, (int)stopwatch.ElapsedMilliseconds, succeeded, next, CancellationToken.None);
        if (statusCode == 410) await queue.DisableEndpointAsync(delivery.EndpointId, "The endpoint answered 410 Gone.", CancellationToken.None);
        if (!succeeded) logger.LogInformation("Webhook delivery {DeliveryId} attempt {Attempt} failed: {Status} {Error}", delivery.DeliveryId, delivery.Attempts + 1, statusCode, error);
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
