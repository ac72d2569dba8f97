using ArFleet.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
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
        var endpoints = app.MapGroup("/v1/webhook-endpoints").WithTags("Webhook endpoints").RequireRateLimiting(ApiRateLimits.PerKey)
            .RequireAuthorization(ApiPolicies.BrandOrIsv);

        endpoints.MapPost("", CreateAsync).WithSummary("Register a webhook endpoint; its signing secret is shown once");
        endpoints.MapGet("", ListAsync).WithSummary("List the tenant's webhook endpoints");
        endpoints.MapGet("/{endpointId:guid}", GetAsync).WithSummary("Get a webhook endpoint");
        endpoints.MapPatch("/{endpointId:guid}", UpdateAsync).WithSummary("Change an endpoint's URL, event types or rate limit; absent fields stay");
        endpoints.MapDelete("/{endpointId:guid}", DeleteAsync).WithSummary("Delete an endpoint with its deliveries and their log");
        endpoints.MapPost("/{endpointId:guid}/enable", EnableAsync).WithSummary("Enable a disabled endpoint again");
        endpoints.MapPost("/{endpointId:guid}/test", TestAsync).WithSummary("Send a webhook.test delivery to this endpoint only");
        endpoints.MapGet("/{endpointId:guid}/deliveries", DeliveriesAsync).WithSummary("List the endpoint's deliveries with their attempt log");
        endpoints.MapPost("/{endpointId:guid}/replay", ReplayAsync).WithSummary("Send the deliveries that failed since a time again");
        endpoints.MapPost("/{endpointId:guid}/rotate-secret", RotateSecretAsync)
            .WithSummary("Replace the signing secret; the previous one keeps signing beside it for a while");
    }

    private static async Task<Results<Created<CreatedEndpoint>, BadRequestProblem>> CreateAsync(CreateEndpointRequest request, HttpContext http,
        EndpointStore store, GuardedConnector connector, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        if (await WebhookUrls.ProblemWithAsync(request.Url, connector, options.Value.AllowLoopback, ct) is { } urlProblem)
            return Problems.Invalid("url", urlProblem);
        if (EventTypesProblem(request.EventTypes, out var eventTypes) is { } eventTypesProblem) return eventTypesProblem;
        if (RateProblem(request.RateLimitPerSecond, allowReset: false) is { } rateProblem) return rateProblem;

        var endpoint = new WebhookEndpoint(Guid.CreateVersion7(), http.User.TenantId(), request.Url!, eventTypes, DateTimeOffset.UtcNow, null, null,
            request.RateLimitPerSecond);
        var secret = WebhookSigner.NewSecret();
        await store.CreateAsync(endpoint, secret, ct);
        return TypedResults.Created($"/v1/webhook-endpoints/{endpoint.EndpointId}", new CreatedEndpoint(endpoint.EndpointId, secret));
    }

    private static async Task<Ok<List<WebhookEndpoint>>> ListAsync(HttpContext http, EndpointStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(http.User.TenantId(), ct));

    private static async Task<Results<Ok<WebhookEndpoint>, NotFoundProblem>> GetAsync(Guid endpointId, HttpContext http, EndpointStore store,
        CancellationToken ct) =>
        await store.GetAsync(http.User.TenantId(), endpointId, ct) is { } endpoint ? TypedResults.Ok(endpoint) : Problems.NotFound("Webhook endpoint");

    /// <summary>A new URL is checked as at registration. A disabled endpoint may be changed (to fix what disabled it) and stays disabled.</summary>
    private static async Task<Results<Ok<WebhookEndpoint>, BadRequestProblem, NotFoundProblem>> UpdateAsync(Guid endpointId,
        UpdateEndpointRequest request, HttpContext http, EndpointStore store, GuardedConnector connector, IOptions<WebhookOptions> options,
        CancellationToken ct)
    {
        if (request.Url is not null && await WebhookUrls.ProblemWithAsync(request.Url, connector, options.Value.AllowLoopback, ct) is { } urlProblem)
            return Problems.Invalid("url", urlProblem);
        string[]? eventTypes = null;
        if (request.EventTypes is not null && EventTypesProblem(request.EventTypes, out eventTypes) is { } eventTypesProblem) return eventTypesProblem;
        if (RateProblem(request.RateLimitPerSecond, allowReset: true) is { } rateProblem) return rateProblem;

        var change = new EndpointChange(request.Url, eventTypes, request.RateLimitPerSecond is > 0 ? request.RateLimitPerSecond : null,
            ResetRateLimit: request.RateLimitPerSecond == 0);
        return await store.UpdateAsync(http.User.TenantId(), endpointId, change, ct) is { } updated
            ? TypedResults.Ok(updated)
            : Problems.NotFound("Webhook endpoint");
    }

    /// <summary>Its deliveries and their log go with it.</summary>
    private static async Task<Results<NoContent, NotFoundProblem>> DeleteAsync(Guid endpointId, HttpContext http, EndpointStore store,
        CancellationToken ct) =>
        await store.DeleteAsync(http.User.TenantId(), endpointId, ct) ? TypedResults.NoContent() : Problems.NotFound("Webhook endpoint");

    /// <summary>Deliveries failed while it was disabled stay failed: replay sends them again.</summary>
    private static async Task<Results<Ok<WebhookEndpoint>, NotFoundProblem, ConflictProblem>> EnableAsync(Guid endpointId, HttpContext http,
        EndpointStore store, CancellationToken ct)
    {
        var tenantId = http.User.TenantId();
        if (await store.EnableAsync(tenantId, endpointId, ct) is { } enabled) return TypedResults.Ok(enabled);
        return await store.GetAsync(tenantId, endpointId, ct) is null
            ? Problems.NotFound("Webhook endpoint")
            : Problems.Conflict("The webhook endpoint is not disabled");
    }

    /// <summary>A webhook.test delivery to this endpoint only, whatever its filter, signed and logged like any other.</summary>
    private static async Task<Results<Accepted<TestDelivery>, NotFoundProblem, ConflictProblem>> TestAsync(Guid endpointId, HttpContext http,
        EndpointStore store, DeliveryQueue queue, TimeProvider clock, CancellationToken ct)
    {
        if (await store.GetAsync(http.User.TenantId(), endpointId, ct) is not { } endpoint) return Problems.NotFound("Webhook endpoint");
        if (DisabledProblem(endpoint) is { } disabled) return disabled;
        var now = clock.GetUtcNow();
        var eventId = $"{WebhookEventTypes.Test}:{Guid.CreateVersion7()}";
        var body = WebhookEnvelope.Serialize(WebhookEventTypes.Test, now, new { endpointId, message = "A test event from ArFleet." });
        var deliveryId = (await queue.EnqueueAsync([endpointId], WebhookEventTypes.Test, eventId, body, null, ct)).Single();
        return TypedResults.Accepted($"/v1/webhook-endpoints/{endpointId}/deliveries", new TestDelivery(deliveryId, DeliveryQueue.WebhookId(deliveryId)));
    }

    private static async Task<Results<Ok<List<DeliveryView>>, NotFoundProblem>> DeliveriesAsync(Guid endpointId, HttpContext http,
        EndpointStore store, DeliveryQueue queue, CancellationToken ct) =>
        await store.GetAsync(http.User.TenantId(), endpointId, ct) is null
            ? Problems.NotFound("Webhook endpoint")
            : TypedResults.Ok(await queue.DeliveriesAsync(endpointId, ct));

    private static async Task<Results<Ok<ReplayResult>, BadRequestProblem, NotFoundProblem, ConflictProblem>> ReplayAsync(Guid endpointId,
        ReplayRequest request, HttpContext http, EndpointStore store, DeliveryQueue queue, CancellationToken ct)
    {
        if (await store.GetAsync(http.User.TenantId(), endpointId, ct) is not { } endpoint) return Problems.NotFound("Webhook endpoint");
        if (DisabledProblem(endpoint) is { } disabled) return disabled;
        if (request.Since is null) return Problems.Invalid("since", "is required (ISO 8601)");
        return TypedResults.Ok(new ReplayResult(await queue.ReplayAsync(endpointId, request.Since.Value, ct)));
    }

    /// <summary>The new secret signs from now on; the previous one signs beside it for PreviousSecretLifetime (24 h), so
    /// receivers can switch over without losing a delivery. A second rotation within that time drops the oldest.</summary>
    private static async Task<Results<Ok<RotatedSecret>, NotFoundProblem>> RotateSecretAsync(Guid endpointId, HttpContext http, EndpointStore store,
        IOptions<WebhookOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var secret = WebhookSigner.NewSecret();
        var previousExpiresAt = clock.GetUtcNow() + options.Value.PreviousSecretLifetime;
        return await store.RotateSecretAsync(http.User.TenantId(), endpointId, secret, previousExpiresAt, ct)
            ? TypedResults.Ok(new RotatedSecret(secret, previousExpiresAt))
            : Problems.NotFound("Webhook endpoint");
    }

    private static ConflictProblem? DisabledProblem(WebhookEndpoint endpoint) => endpoint.DisabledAt is null
        ? null
        : Problems.Conflict("The webhook endpoint is disabled", $"Disabled at {endpoint.DisabledAt:O}: {endpoint.DisabledReason} Enable it first.");

    /// <summary>Absent or empty subscribes to every type.</summary>
    private static BadRequestProblem? EventTypesProblem(string[]? requested, out string[] eventTypes)
    {
        eventTypes = requested is { Length: > 0 } ? requested.Distinct().ToArray() : WebhookEventTypes.All;
        return eventTypes.FirstOrDefault(t => !WebhookEventTypes.All.Contains(t)) is { } unknown
            ? Problems.Invalid("eventTypes", $"'{unknown}' is not an event type; known: {string.Join(", ", WebhookEventTypes.All)}")
            : null;
    }

    private static BadRequestProblem? RateProblem(int? rate, bool allowReset) =>
        rate is null || rate is > 0 and <= MaxRateLimitPerSecond || (allowReset && rate == 0)
            ? null
            : Problems.Invalid("rateLimitPerSecond", $"must be between 1 and {MaxRateLimitPerSecond}{(allowReset ? ", or 0 for the default" : "")}");
}
