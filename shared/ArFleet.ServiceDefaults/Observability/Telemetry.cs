using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ArFleet.ServiceDefaults.Observability;

/// <summary>Traces, metrics and logs through OpenTelemetry. Metrics are served for Prometheus to scrape at
/// <see cref="MetricsPath"/>; nothing leaves the process unless OTEL_EXPORTER_OTLP_ENDPOINT names a collector (OTLP)
/// or ArFleet:ConsoleTraces writes spans to stdout. PostgreSQL and Redis calls are traced where the service uses them
/// (<see cref="Postgres"/>, <see cref="Redis"/>).</summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static IHostApplicationBuilder ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        var serviceName = builder.Environment.ApplicationName;
        builder.Services.Configure<MetricsOptions>(builder.Configuration.GetSection("ArFleet:Metrics"));
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                // The service's own instruments are on a meter named after it (FleetMeters).
                .AddMeter("MassTransit", serviceName)
                .AddPrometheusExporter())
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource("MassTransit", serviceName)
                    .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                        !ctx.Request.Path.StartsWithSegments("/health") && !ctx.Request.Path.StartsWithSegments(MetricsPath))
                    .AddHttpClientInstrumentation();
                // Writes finished spans to stdout; the end-to-end test reads them to follow one trace.
                if (builder.Configuration.GetValue<bool>("ArFleet:ConsoleTraces"))
                    tracing.AddConsoleExporter();
            });

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            otel.UseOtlpExporter();
        return builder;
    }

    /// <summary>The Prometheus text exposition of every metric the service records, unauthenticated like /health:
    /// route only the public /v1 APIs from outside (docs/operations.md, "Metrics, traces and alerts").</summary>
    public static WebApplication MapMetricsEndpoint(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
