using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ArFleet.Testing;

/// <summary>STAND-IN FOR THE DAPR SIDECAR (daprd), which cannot be had on these machines: a local HTTP server that
/// answers only the routes of Dapr's documented HTTP API the services use: health (/v1.0/healthz,
/// /v1.0/healthz/outbound), service invocation (/v1.0/invoke/{app-id}/method/{method}, forwarded to the app registered
/// for the id, as a sidecar forwards to its peer) and secrets (/v1.0/secrets/{store}/{name}). It checks the
/// dapr-api-token header when given a token, as daprd does with API token authentication. Nothing of daprd's own
/// behaviour (mTLS, resiliency policies, access control, name resolution) is here.</summary>
public sealed class DaprSidecarStandIn : IAsyncDisposable
{
    public record Request(string Method, string Path, string? ApiToken, string? Authorization);

    private readonly WebApplication app;
    private readonly HttpClient forward = new();

    public Uri Address { get; }
    public ConcurrentQueue<Request> Requests { get; } = new();
    /// <summary>Where invocations of each app id go.</summary>
    public ConcurrentDictionary<string, Uri> Apps { get; } = new();
    /// <summary>Secrets by store, then name.</summary>
    public ConcurrentDictionary<string, Dictionary<string, Dictionary<string, string>>> Stores { get; } = new();

    private DaprSidecarStandIn(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    public static async Task<DaprSidecarStandIn> StartAsync(string? apiToken = null)
    {
        var port = Fleet.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var sidecar = new DaprSidecarStandIn(builder.Build(), new Uri($"http://127.0.0.1:{port}"));
        sidecar.Map(apiToken);
        await sidecar.app.StartAsync();
        return sidecar;
    }

    private void Map(string? apiToken)
    {
        app.Use(async (context, next) =>
        {
            var token = context.Request.Headers["dapr-api-token"].FirstOrDefault();
            Requests.Enqueue(new Request(context.Request.Method, context.Request.Path + context.Request.QueryString, token,
                context.Request.Headers.Authorization.FirstOrDefault()));
            if (apiToken is not null && token != apiToken)
            {
                await Error(context, StatusCodes.Status401Unauthorized, "ERR_API_AUTH", "invalid api token");
                return;
            }
            await next(context);
        });
        app.MapGet("/v1.0/healthz", () => Results.NoContent());
        app.MapGet("/v1.0/healthz/outbound", () => Results.NoContent());
        app.MapGet("/v1.0/secrets/{store}/{name}", (string store, string name, HttpContext context) =>
            !Stores.TryGetValue(store, out var secrets) ? Error(context, StatusCodes.Status400BadRequest, "ERR_SECRET_STORE_NOT_FOUND",
                $"secret store {store} not found")
            : !secrets.TryGetValue(name, out var secret) ? Error(context, StatusCodes.Status500InternalServerError, "ERR_SECRET_GET",
                $"failed getting secret with key {name}")
            : context.Response.WriteAsJsonAsync(secret));
        app.Map("/v1.0/invoke/{appId}/method/{**method}", async (string appId, string method, HttpContext context) =>
        {
            if (!Apps.TryGetValue(appId, out var target))
            {
                await Error(context, StatusCodes.Status500InternalServerError, "ERR_DIRECT_INVOKE", $"app {appId} not found");
                return;
            }
            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(target, "/" + method + context.Request.QueryString));
            foreach (var header in context.Request.Headers.Where(h => h.Key is not ("Host" or "dapr-api-token" or "Content-Length" or "Content-Type")))
                request.Headers.TryAddWithoutValidation(header.Key, [.. header.Value]);
            using var response = await forward.SendAsync(request);
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type) context.Response.ContentType = type.ToString();
            await response.Content.CopyToAsync(context.Response.Body);
        });
    }

    private static Task Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { errorCode = code, message });
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        forward.Dispose();
    }
}
