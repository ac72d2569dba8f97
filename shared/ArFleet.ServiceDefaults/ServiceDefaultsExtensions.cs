using System.Text.Json;
using System.Text.Json.Serialization;
using ArFleet.ServiceDefaults.Observability;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Scalar.AspNetCore;

namespace ArFleet.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";
    /// <summary>A check of the service's own work that decides whether a replica takes traffic (recognition's loaded
    /// index): /health/serving runs these and the live ones, never the shared servers'.</summary>
    public const string ServingTag = "serving";

    /// <summary>Dapr mode where it is on (DaprOptions), OpenTelemetry with the Prometheus endpoint, health checks, problem
    /// details, JSON conventions, OpenAPI, HttpClient resilience and the per-key rate limits.</summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        // Below every other source, so that appsettings and the environment still set them: without these, each request
        // logged three Information lines and each outgoing call four (ASP.NET's hosting and routing, HttpClient, Polly).
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = QuietFrameworkLogs });
        builder.AddDaprMode(); // first: in Dapr mode the secret store's settings are read before anything reads configuration
        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<DependencyUnavailableHandler>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        builder.Services.AddArFleetOpenApi();
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        builder.AddApiKeyRateLimits();
        return builder;
    }

    private static readonly Dictionary<string, string?> QuietFrameworkLogs = new()
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
    };

    /// <summary>camelCase, enums as camelCase strings, nulls left out: the conventions of docs/api.md.</summary>
    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
    }

    public static JsonSerializerOptions ApiJson { get; } = CreateApiJson();

    private static JsonSerializerOptions CreateApiJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ConfigureJson(options);
        return options;
    }

    /// <summary>/health/live answers while the process runs and its receive endpoints consume; /health/ready checks
    /// everything, the service's own RabbitMQ, Redis and PostgreSQL included (for starting in order); /health/serving
    /// checks the service's own work only (the live checks and those tagged <see cref="ServingTag"/>), so that a
    /// blip of a server every replica shares answers 503 problems from all of them instead of taking them all out of
    /// their load balancer at once (Kubernetes' readiness probe). The OpenAPI document and its reference page are
    /// served too.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapMetricsEndpoint();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter(); // after authentication (added first by WebApplication), for the groups that ask for ApiRateLimits.PerKey
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag), ResponseWriter = HealthReportWriter.WriteAsync,
        });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks("/health/serving", new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains(LiveTag) || r.Tags.Contains(ServingTag), ResponseWriter = HealthReportWriter.WriteAsync,
        });
        app.MapOpenApi();
        app.MapScalarApiReference();
        return app;
    }
}
