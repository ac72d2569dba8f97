using Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace ArFleet.ServiceDefaults;

public static class DaprMode
{
    /// <summary>When Dapr:Enabled: waits for the sidecar, puts the secret store's secret on top of the configuration
    /// (before anything reads a connection string), registers the Dapr client and a readiness check of the sidecar.</summary>
    public static IHostApplicationBuilder AddDaprMode(this IHostApplicationBuilder builder)
    {
        var options = DaprOptions.From(builder.Configuration);
        if (!options.Enabled) return builder;
        var sidecar = options.SidecarAddress(builder.Configuration);
        var token = DaprOptions.ApiToken(builder.Configuration);
        builder.Services.AddDaprClient(b =>
        {
            b.UseHttpEndpoint(sidecar.ToString());
            if (token is not null) b.UseDaprApiToken(token);
        });
        builder.Services.AddHealthChecks().AddCheck<DaprSidecarHealthCheck>("dapr-sidecar", tags: [ServiceDefaultsExtensions.ReadyTag]);

        if (options.SecretStore is { Length: > 0 } store)
        {
            var name = options.Secret is { Length: > 0 } secret ? secret
                : throw new InvalidOperationException("Dapr:SecretStore is set but Dapr:Secret (the secret holding this service's settings) is not.");
            var values = ReadSecretAtStartAsync(sidecar, token, store, name, options.SidecarTimeout).GetAwaiter().GetResult();
            builder.Configuration.AddInMemoryCollection(DaprSecrets.AsConfiguration(values));
        }
        return builder;
    }

    /// <summary>Key lookups through the sidecar: http://{app-id}/v1/tenants/me becomes
    /// {sidecar}/v1.0/invoke/{app-id}/method/v1/tenants/me (Dapr.Client's InvocationHandler). Retries are the sidecar's
    /// (deploy/dapr/resiliency.yaml), so the client's own resilience handler is taken off.</summary>
    public static void UseDaprInvocation(IHttpClientBuilder client, DaprOptions options, Uri sidecar)
    {
        client.ConfigureHttpClient(c =>
        {
            c.BaseAddress = new Uri($"http://{options.CampaignRulesAppId}");
            c.Timeout = TimeSpan.FromSeconds(10);
        });
#pragma warning disable EXTEXP0001 // experimental API: the only way to opt one client out of the service-wide resilience defaults
        client.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        client.AddHttpMessageHandler(() => new InvocationHandler { DaprEndpoint = sidecar.ToString() });
    }

    private static async Task<IReadOnlyDictionary<string, string>> ReadSecretAtStartAsync(Uri sidecar, string? token, string store, string name,
        TimeSpan timeout)
    {
        var builder = new DaprClientBuilder().UseHttpEndpoint(sidecar.ToString());
        if (token is not null) builder.UseDaprApiToken(token);
        using var client = builder.Build();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await client.WaitForSidecarAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"The Dapr sidecar at {sidecar} did not become ready within {timeout}.");
        }
        using var http = new HttpClient { BaseAddress = sidecar, Timeout = TimeSpan.FromSeconds(10) };
        if (token is not null) http.DefaultRequestHeaders.Add("dapr-api-token", token);
        return await new DaprSecrets(http).GetAsync(store, name, cancel.Token);
    }

    private sealed class DaprSidecarHealthCheck(DaprClient dapr) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            await dapr.CheckHealthAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("The Dapr sidecar does not answer");
    }
}
