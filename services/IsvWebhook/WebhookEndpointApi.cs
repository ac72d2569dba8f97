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

    public static void MapWebhookEndpointApi(this WebApplication app)
    {
        var endpoints = app.MapGroup("/v1/webhook-endpoints").WithTags("Webhook endpoints").RequireAuthorization(ApiPolicies.BrandOrIsv);

        endpoints.MapPost("", async (CreateEndpointRequest request, HttpContext http, EndpointStore store, GuardedConnector connector,
            IOptions<WebhookOptions> options, CancellationToken ct) =>
        {
            if (await ValidateUrlAsync(request.Url, connector, options.Value.AllowLoopback, ct) is { } urlProblem) return urlProblem;
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
            if (await store.GetAsync(http.User.TenantId(), endpointId, ct) is null) return Problems.NotFound("Webhook endpoint");
            if (request.Since is null) return Problems.Invalid("since", "is required (ISO 8601)");
            return Results.Ok(new ReplayResult(await queue.ReplayAsync(endpointId, request.Since.Value, ct)));
        });
    }

    /// <summary>https only (http to loopback in development); the host must resolve to allowed addresses now,
    /// and is checked again at every connection.</summary>
    private static async Task<IResult?> ValidateUrlAsync(string? url, GuardedConnector connector, bool allowLoopback, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || url!.Length > 2000)
            return Problems.Invalid("url", "must be an absolute URL");
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowLoopback && uri.Scheme == Uri.UriSchemeHttp))
            return Problems.Invalid("url", "must use https");
        if (!string.IsNullOrEmpty(uri.UserInfo)) return Problems.Invalid("url", "must not contain credentials");
        try
        {
            await connector.CheckedAddressesAsync(uri.IdnHost, ct);
        }
        catch (RefusedAddressException e)
        {
            return Problems.Invalid("url", e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException)
        {
            return Problems.Invalid("url", $"the host could not be resolved: {e.Message}");
        }
        return null;
    }

    internal static string Envelope(string type, DateTimeOffset timestamp, object data) =>
        JsonSerializer.Serialize(new { type, timestamp, data }, ServiceDefaultsExtensions.ApiJson);
}
