using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ArFleet.ServiceDefaults.Tests;

/// <summary>Dapr mode's code paths as every service wires them (AddServiceDefaults, then the key lookup of
/// AddApiKeyAuthenticationFromCampaignRules), against <see cref="DaprSidecarStandIn"/>, a local HTTP server that
/// answers Dapr's documented invoke, secrets and health routes IN PLACE OF daprd, which cannot be had here. The key
/// owner behind the sidecar is a stand-in for campaign-rules' GET /v1/tenants/me answering one known key.</summary>
public sealed class DaprModeTests : IAsyncLifetime
{
    private const string KnownKey = "key-of-the-brand";
    private static readonly TenantIdentity Brand = new(Guid.NewGuid(), "Lucky Tea", TenantKinds.Brand);
    private WebApplication keyOwner = null!;
    private Uri keyOwnerAddress = null!;
    private readonly List<WebApplication> services = [];

    public async Task InitializeAsync()
    {
        var port = Fleet.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.AddProblemDetails();
        builder.AddApiKeyAuthentication<OneKey>();
        keyOwner = builder.Build();
        keyOwner.MapGet("/v1/tenants/me", (HttpContext http) => Results.Ok(Brand with { TenantId = http.User.TenantId() }))
            .RequireAuthorization(ApiPolicies.AnyTenant);
        await keyOwner.StartAsync();
        keyOwnerAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public async Task DisposeAsync()
    {
        foreach (var service in services) await service.DisposeAsync();
        await keyOwner.DisposeAsync();
    }

    [Fact]
    public async Task In_Dapr_mode_keys_are_looked_up_through_the_sidecar_and_connection_strings_come_from_its_secret_store()
    {
        await using var sidecar = await DaprSidecarStandIn.StartAsync();
        sidecar.Apps["campaign-rules"] = keyOwnerAddress;
        sidecar.Stores["arfleet-secrets"] = new()
        {
            ["arfleet-ingest"] = new() { ["ConnectionStrings__postgres"] = "Host=db.internal;Database=arfleet_ingest",
                ["ARFLEET_ADMIN_KEY"] = "admin-from-store" },
        };

        var (service, configuration) = await StartServiceAsync(new()
        {
            ["Dapr:Enabled"] = "true",
            ["Dapr:HttpEndpoint"] = sidecar.Address.ToString(),
            ["Dapr:SecretStore"] = "arfleet-secrets",
            ["Dapr:Secret"] = "arfleet-ingest",
            ["ConnectionStrings:postgres"] = "Host=from-environment", // the store wins over what the environment says
        });

        Assert.Equal("Host=db.internal;Database=arfleet_ingest", configuration.GetConnectionString("postgres"));
        Assert.Equal("admin-from-store", configuration["ARFLEET_ADMIN_KEY"]);
        Assert.Contains(sidecar.Requests, r => r.Path == "/v1.0/healthz/outbound"); // waited for the sidecar first
        Assert.Contains(sidecar.Requests, r => r is { Method: "GET", Path: "/v1.0/secrets/arfleet-secrets/arfleet-ingest" });

        using var known = await GetAsync(service, KnownKey);
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(Brand.TenantId.ToString(), (string?)(await known.Content.ReadFromJsonAsync<JsonObject>())!["tenantId"]);
        var invocation = Assert.Single(sidecar.Requests, r => r.Path.StartsWith("/v1.0/invoke/", StringComparison.Ordinal));
        Assert.Equal(("GET", "/v1.0/invoke/campaign-rules/method/v1/tenants/me", $"Bearer {KnownKey}"), (invocation.Method, invocation.Path,
            invocation.Authorization));

        using var unknown = await GetAsync(service, "some-other-key");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        using var admin = await GetAsync(service, "admin-from-store"); // the store's admin key is known (403: not a tenant), unlike 401 above
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);

        using var ready = await new HttpClient().GetAsync(new Uri(service, "/health/ready"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("dapr-sidecar", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_sidecar_with_an_API_token_gets_it_on_every_call()
    {
        const string token = "sidecar-token";
        await using var sidecar = await DaprSidecarStandIn.StartAsync(apiToken: token);
        sidecar.Stores["arfleet-secrets"] = new() { ["arfleet-ingest"] = new() { ["Some__Setting"] = "x" } };

        var (_, configuration) = await StartServiceAsync(new()
        {
            ["Dapr:Enabled"] = "true",
            ["Dapr:HttpEndpoint"] = sidecar.Address.ToString(),
            ["Dapr:SecretStore"] = "arfleet-secrets",
            ["Dapr:Secret"] = "arfleet-ingest",
            ["DAPR_API_TOKEN"] = token,
        });

        Assert.Equal("x", configuration["Some:Setting"]);
        Assert.All(sidecar.Requests, r => Assert.Equal(token, r.ApiToken));
    }

    [Fact]
    public async Task A_secret_the_store_does_not_have_stops_the_start_with_the_sidecars_answer()
    {
        await using var sidecar = await DaprSidecarStandIn.StartAsync();
        sidecar.Stores["arfleet-secrets"] = new();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => StartServiceAsync(new()
        {
            ["Dapr:Enabled"] = "true",
            ["Dapr:HttpEndpoint"] = sidecar.Address.ToString(),
            ["Dapr:SecretStore"] = "arfleet-secrets",
            ["Dapr:Secret"] = "arfleet-nothing",
        }));
        Assert.Contains("500", e.Message);
        Assert.Contains("ERR_SECRET_GET", e.Message);
    }

    [Fact]
    public async Task A_sidecar_that_never_answers_stops_the_start_after_the_timeout()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => StartServiceAsync(new()
        {
            ["Dapr:Enabled"] = "true",
            ["Dapr:HttpEndpoint"] = $"http://127.0.0.1:{Fleet.FreePort()}", // nothing listens
            ["Dapr:SecretStore"] = "arfleet-secrets",
            ["Dapr:Secret"] = "arfleet-ingest",
            ["Dapr:SidecarTimeout"] = "00:00:02",
        }));
        Assert.Contains("did not become ready", e.Message);
    }

    [Fact]
    public async Task Without_Dapr_mode_keys_go_straight_to_campaign_rules_and_no_sidecar_is_asked()
    {
        await using var sidecar = await DaprSidecarStandIn.StartAsync();
        var (service, _) = await StartServiceAsync(new()
        {
            ["Services:campaigns"] = keyOwnerAddress.ToString(),
            ["DAPR_HTTP_ENDPOINT"] = sidecar.Address.ToString(), // a sidecar is there, but Dapr mode is off
        });

        using var known = await GetAsync(service, KnownKey);
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Empty(sidecar.Requests);
    }

    /// <summary>A service as the fleet's Program.cs files build one: service defaults, key authentication through
    /// campaign-rules, the default endpoints, and one route for any tenant.</summary>
    private async Task<(Uri Address, IConfiguration Configuration)> StartServiceAsync(Dictionary<string, string?> settings)
    {
        var port = Fleet.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddApiKeyAuthenticationFromCampaignRules();
        var app = builder.Build();
        services.Add(app);
        app.MapDefaultEndpoints();
        app.MapGet("/v1/whoami", (HttpContext http) => Results.Ok(new { tenantId = http.User.TenantId() })).RequireAuthorization(ApiPolicies.AnyTenant);
        await app.StartAsync();
        return (new Uri($"http://127.0.0.1:{port}"), app.Configuration);
    }

    private static async Task<HttpResponseMessage> GetAsync(Uri service, string key)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service, "/v1/whoami"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request);
    }

    private sealed class OneKey : ITenantKeyResolver
    {
        public Task<TenantIdentity?> ResolveAsync(string apiKey, CancellationToken cancellationToken) =>
            Task.FromResult(apiKey == KnownKey ? Brand : null);
    }
}
