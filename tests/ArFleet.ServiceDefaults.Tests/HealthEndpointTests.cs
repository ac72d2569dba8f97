using System.Net;
using ArFleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace ArFleet.ServiceDefaults.Tests;

/// <summary>The three health endpoints as MapDefaultEndpoints maps them, on a real Kestrel whose Redis (the service
/// defaults' own registration and check) points at a port nothing listens on: a shared server that is down fails
/// /health/ready only, while /health/serving, Kubernetes' readiness probe, follows the service's own work.</summary>
public sealed class HealthEndpointTests : IAsyncLifetime
{
    private WebApplication app = null!;
    private readonly HttpClient http = new();
    private readonly OwnWork ownWork = new();

    /// <summary>Stands in for recognition's index check: the replica's own work, ready or not.</summary>
    private sealed class OwnWork : IHealthCheck
    {
        public volatile bool Ready = true;

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(Ready ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("loading"));
    }

    public async Task InitializeAsync()
    {
        var port = Fleet.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = $"127.0.0.1:{Fleet.FreePort()},connectTimeout=200",
        });
        builder.AddServiceDefaults();
        builder.AddArFleetRedis();
        builder.Services.AddHealthChecks().AddCheck("own-work", ownWork, tags: [ServiceDefaultsExtensions.ReadyTag, ServiceDefaultsExtensions.ServingTag]);
        app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        http.BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    [Fact]
    public async Task A_shared_server_that_is_down_fails_ready_but_not_serving_nor_live()
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/serving")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task The_services_own_work_not_ready_fails_serving_but_not_live()
    {
        ownWork.Ready = false;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/health/serving")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        ownWork.Ready = true;
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/serving")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
    }
}
