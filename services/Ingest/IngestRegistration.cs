using ArFleet.ServiceDefaults;
using MassTransit;

namespace ArFleet.Ingest;

public static class IngestRegistration
{
    public static IHostApplicationBuilder AddScanIntake(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ImageClaimCheck>().AddSingleton<ScanStore>().AddSingleton<ScanWaiters>().AddSingleton<ScanRateLimiter>()
            .AddSingleton<ScanMetrics>();
        builder.Services.Configure<ScanRateOptions>(builder.Configuration.GetSection("Scans:RateLimits"));
        builder.Services.Configure<ScanDeliveryOptions>(builder.Configuration.GetSection("Scans:Delivery"));
        builder.Services.AddSingleton<ScanSubmissionMarks>().AddHostedService(sp => sp.GetRequiredService<ScanSubmissionMarks>());
        builder.Services.AddHostedService<ScanSubmissionRelay>().AddHostedService<ScanDeadlineSweeper>();
        return builder;
    }

    public static void AddIngestConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ScanResolvedConsumer>();
        x.AddApiKeyRevocations();
    }
}
