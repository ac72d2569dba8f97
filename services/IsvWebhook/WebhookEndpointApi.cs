using ArFleet.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace ArFleet.IsvWebhook;

public static class WebhookEndpointApi
{
    public const int MaxRateLimitPerSecond = 1000;

    public record CreateEndpointRequest(string? Url, string[]? EventTypes, int? RateLimitPerSecond = null);
    /// <summary>PATCH: absent fields stay; <c>eventTypes: []</c> subscribes to every type; <c>rateLimitPerSecond: 0</c>
    /// goes back to the service's default.</summary>
    public record UpdateEndpointRequest(string? Url, string[]? EventTypes, int? RateLimitPerSecond);
    public record CreatedEndpoint(Guid EndpointId, string Secret);
    public record ReplayRequest(DateTimeOffset? Since);
    public record ReplayResult(int Replayed);
    public record RotatedSecret(string Secret, DateTimeOffset PreviousSecretExpiresAt);
    public record TestDelivery(Guid DeliveryId, string WebhookId);

    public static void MapWebhookEndpointApi(this WebApplication app)
    {
        var endpoints = app.MapGroup("/v1/webhook-endpoints").WithTags("Webhook endpoints").RequireRateLimiting(ApiRateLimits.PerKey).RequireAuthorization(ApiPolicies.BrandOrIsv);

        endpoints.MapPost("", async (CreateEndpointRequest request, HttpContext http, EndpointStore store, GuardedConnector connector,
            IOptions<WebhookOptions> options, CancellationToken ct) =>
        {
            if (await WebhookUrls.ProblemWithAsync(request.Url, connector, options.Value.AllowLoopback, ct) is { } urlProblem)
                return Problems.Invalid("url", urlProblem);
            if (EventTypesProblem(request.EventTypes, out var eventTypes) is { } eventTypesProblem) return eventTypesProblem;
            if (RateProblem(request.RateLimitPerSecond, allowReset: false) is { } rateProblem) return rateProblem;

            var endpoint = new WebhookEndpoint(Guid.CreateVersion7(), http.User.TenantId(), request.Url!, eventTypes, DateTimeOffset.UtcNow, null, null,
                request.RateLimitPerSecond);
            var secret = WebhookSigner.NewSecret();
            await store.CreateAsync(endpoint, secret, ct);
            return Results.Created($"/v1/webhook-endpoints/{endpoint.EndpointId}", new CreatedEndpoint(endpoint.EndpointId, secret));
        });

        endpoints.MapGet("", async (HttpContext http, EndpointStore store, CancellationToken ct) =>
            Results.Ok(await store.ListAsync(http.User.TenantId(), ct)));

        endpoints.MapGet("/{endpointId:guid}", async (Guid endpointId, HttpContext http, EndpointStore store, CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), endpointId, ct) is { } endpoint ? Results.Ok(endpoint) : Problems.NotFound("Webhook endpoint"));

        // A new URL is checked as at registration. A disabled endpoint may be changed (to fix what disabled it) and stays disabled.
        endpoints.MapPatch("/{endpointId:guid}", async (Guid endpointId, UpdateEndpointRequest request, HttpContext http, EndpointStore store,
            GuardedConnector connector, IOptions<WebhookOptions> options, CancellationToken ct) =>
        {
            if (request.Url is not null && await WebhookUrls.ProblemWithAsync(request.Url, connector, options.Value.AllowLoopback, ct) is { } urlProblem)
                return Problems.Invalid("url", urlProblem);
            string[]? eventTypes = null;
            if (request.EventTypes is not null && EventTypesProblem(request.EventTypes, out eventTypes) is { } eventTypesProblem) return eventTypesProblem;
            if (RateProblem(request.RateLimitPerSecond, allowReset: true) is { } rateProblem) return rateProblem;

            var change = new EndpointChange(request.Url, eventTypes, request.RateLimitPerSecond is > 0 ? request.RateLimitPerSecond : null,
                ResetRateLimit: request.RateLimitPerSecond == 0);
            return await store.UpdateAsync(http.User.TenantId(), endpointId, change, ct) is { } updated
                ? Results.Ok(updated)
                : Problems.NotFound("Webhook endpoint");
        });

        // Its deliveries and their log go with it.
        endpoints.MapDelete("/{endpointId:guid}", async (Guid endpointId, HttpContext http, EndpointStore store, CancellationToken ct) =>
            await store.DeleteAsync(http.User.TenantId(), endpointId, ct) ? Results.NoContent() : Problems.NotFound("Webhook endpoint"));

        // Deliveries failed while it was disabled stay failed: replay sends them again.
        endpoints.MapPost("/{endpointId:guid}/enable", async (Guid endpointId, HttpContext http, EndpointStore store, CancellationToken ct) =>
        {
            var tenantId = http.User.TenantId();
            if (await store.EnableAsync(tenantId, endpointId, ct) is { } enabled) return Results.Ok(enabled);
            return await store.GetAsync(tenantId, endpointId, ct) is null
                ? Problems.NotFound("Webhook endpoint")
                : Problems.Conflict("The webhook endpoint is not disabled");
        });

        // A webhook.test delivery to this endpoint only, whatever its filter, signed and logged like any other.
        endpoints.MapPost("/{endpointId:guid}/test", async (Guid endpointId, HttpContext http, EndpointStore store, DeliveryQueue queue,
            TimeProvider clock, CancellationToken ct) =>
        {
            if (await store.GetAsync(http.User.TenantId(), endpointId, ct) is not { } endpoint) return Problems.NotFound("Webhook endpoint");
            if (DisabledProblem(endpoint) is { } disabled) return disabled;
            var now = clock.GetUtcNow();
            var eventId = $"{WebhookEventTypes.Test}:{Guid.CreateVersion7()}";
            var body = WebhookEnvelope.Serialize(WebhookEventTypes.Test, now, new { endpointId, message = "A test event from ArFleet." });
            var deliveryId = (await queue.EnqueueAsync([endpointId], WebhookEventTypes.Test, eventId, body, null, ct)).Single();
            return Results.Accepted($"/v1/webhook-endpoints/{endpointId}/deliveries", new TestDelivery(deliveryId, DeliveryQueue.WebhookId(deliveryId)));
        });

        endpoints.MapGet("/{endpointId:guid}/deliveries", async (Guid endpointId, HttpContext http, EndpointStore store, DeliveryQueue queue,
            CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), endpointId, ct) is null
                ? Problems.NotFound("Webhook endpoint")
                : Results.Ok(await queue.DeliveriesAsync(endpointId, ct)));

        endpoints.MapPost("/{endpointId:guid}/replay", async (Guid endpointId, ReplayRequest request, HttpContext http, EndpointStore store,
            DeliveryQueue queue, CancellationToken ct) =>
        {
            if (await store.GetAsync(http.User.TenantId(), endpointId, ct) is not { } endpoint) return Problems.NotFound("Webhook endpoint");
            if (DisabledProblem(endpoint) is { } disabled) return disabled;
            if (request.Since is null) return Problems.Invalid("since", "is required (ISO 8601)");
            return Results.Ok(new ReplayResult(await queue.ReplayAsync(endpointId, request.Since.Value, ct)));
        });

        // The new secret signs from now on; the previous one signs beside it for PreviousSecretLifetime (24 h), so
        // receivers can switch over without losing a delivery. A second rotation within that time drops the oldest.
        endpoints.MapPost("/{endpointId:guid}/rotate-secret", async (Guid endpointId, HttpContext http, EndpointStore store,
            IOptions<WebhookOptions> options, TimeProvider clock, CancellationToken ct) =>
        {
            var secret = WebhookSigner.NewSecret();
            var previousExpiresAt = clock.GetUtcNow() + options.Value.PreviousSecretLifetime;
            return await store.RotateSecretAsync(http.User.TenantId(), endpointId, secret, previousExpiresAt, ct)
                ? Results.Ok(new RotatedSecret(secret, previousExpiresAt))
                : Problems.NotFound("Webhook endpoint");
        });
    }

    private static IResult? DisabledProblem(WebhookEndpoint endpoint) => endpoint.DisabledAt is null
        ? null
        : Problems.Conflict("The webhook endpoint is disabled", $"Disabled at {endpoint.DisabledAt:O}: {endpoint.DisabledReason} Enable it first.");

    /// <summary>Absent or empty subscribes to every type.</summary>
    private static IResult? EventTypesProblem(string[]? requested, out string[] eventTypes)
    {
        eventTypes = requested is { Length: > 0 } ? requested.Distinct().ToArray() : WebhookEventTypes.All;
        return eventTypes.FirstOrDefault(t => !WebhookEventTypes.All.Contains(t)) is { } unknown
            ? Problems.Invalid("eventTypes", $"'{unknown}' is not an event type; known: {string.Join(", ", WebhookEventTypes.All)}")
            : null;
    }

    private static IResult? RateProblem(int? rate, bool allowReset) =>
        rate is null || rate is > 0 and <= MaxRateLimitPerSecond || (allowReset && rate == 0)
            ? null
            : Problems.Invalid("rateLimitPerSecond", $"must be between 1 and {MaxRateLimitPerSecond}{(allowReset ? ", or 0 for the default" : "")}");
}
