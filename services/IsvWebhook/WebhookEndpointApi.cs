using System.Text.Json;
using ArFleet.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace ArFleet.IsvWebhook;

public static class WebhookEndpointApi
{
    public record CreateEndpointRequest(string? Url, string[]? EventTypes);
    public record CreatedEndpoint(Guid EndpointId, string Secret);
    public record ReplayRequest(DateTimeOffset? Since);
    public record ReplayResult(int Replayed);
    public record RotatedSecret(string Secret, DateTimeOffset PreviousSecretExpiresAt);

    public static void MapWebhookEndpointApi(this WebApplication app)
    {
        var endpoints = app.MapGroup("/v1/webhook-endpoints").WithTags("Webhook endpoints").RequireAuthorization(ApiPolicies.BrandOrIsv);

        endpoints.MapPost("", async (CreateEndpointRequest request, HttpContext http, EndpointStore store, GuardedConnector connector,
            IOptions<WebhookOptions> options, CancellationToken ct) =>
        {
            if (await WebhookUrls.ProblemWithAsync(request.Url, connector, options.Value.AllowLoopback, ct) is { } urlProblem)
                return Problems.Invalid("url", urlProblem);
            var eventTypes = request.EventTypes is { Length: > 0 } ? request.EventTypes.Distinct().ToArray() : WebhookEventTypes.All;
            if (eventTypes.FirstOrDefault(t => !WebhookEventTypes.All.Contains(t)) is { } unknown)
                return Problems.Invalid("eventTypes", $"'{unknown}' is not an event type; known: {string.Join(", ", WebhookEventTypes.All)}");

            var endpoint = new WebhookEndpoint(Guid.CreateVersion7(), http.User.TenantId(), request.Url!, eventTypes, DateTimeOffset.UtcNow, null, null);
            var secret = WebhookSigner.NewSecret();
            await store.CreateAsync(endpoint, secret, ct);
            return Results.Created($"/v1/webhook-endpoints/{endpoint.EndpointId}", new CreatedEndpoint(endpoint.EndpointId, secret));
        });

        endpoints.MapGet("", async (HttpContext http, EndpointStore store, CancellationToken ct) =>
            Results.Ok(await store.ListAsync(http.User.TenantId(), ct)));

        endpoints.MapGet("/{endpointId:guid}", async (Guid endpointId, HttpContext http, EndpointStore store, CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), endpointId, ct) is { } endpoint ? Results.Ok(endpoint) : Problems.NotFound("Webhook endpoint"));

        endpoints.MapGet("/{endpointId:guid}/deliveries", async (Guid endpointId, HttpContext http, EndpointStore store, CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), endpointId, ct) is null
                ? Problems.NotFound("Webhook endpoint")
                : Results.Ok(await store.DeliveriesAsync(endpointId, ct)));

        endpoints.MapPost("/{endpointId:guid}/replay", async (Guid endpointId, ReplayRequest request, HttpContext http, EndpointStore store,
            DeliveryQueue queue, CancellationToken ct) =>
        {
            if (await store.GetAsync(http.User.TenantId(), endpointId, ct) is not { } endpoint) return Problems.NotFound("Webhook endpoint");
            if (endpoint.DisabledAt is not null)
                return Problems.Conflict("The webhook endpoint is disabled", $"Disabled at {endpoint.DisabledAt:O}: {endpoint.DisabledReason}");
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

    public static string Envelope(string type, DateTimeOffset timestamp, object data) =>
        JsonSerializer.Serialize(new { type, timestamp, data }, ServiceDefaultsExtensions.ApiJson);
}

public static class WebhookUrls
{
    /// <summary>What is wrong with an endpoint URL, or null: https only (http to loopback in development), and the host
    /// must resolve to allowed addresses now; it is checked again at every connection.</summary>
    public static async Task<string?> ProblemWithAsync(string? url, GuardedConnector connector, bool allowLoopback, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || url!.Length > 2000) return "must be an absolute URL";
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowLoopback && uri.Scheme == Uri.UriSchemeHttp)) return "must use https";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "must not contain credentials";
        try
        {
            await connector.CheckedAddressesAsync(uri.IdnHost, ct);
            return null;
        }
        catch (RefusedAddressException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException)
        {
            return $"the host could not be resolved: {e.Message}";
        }
    }
}
