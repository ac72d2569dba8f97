using ArFleet.ServiceDefaults;
using MassTransit;

namespace ArFleet.Recognition;

public static class RecognitionRegistration
{
    public static IHostApplicationBuilder AddRecognition(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<RecognitionOptions>(builder.Configuration.GetSection("Recognition"));
        builder.Services.AddSingleton<ImageClaimCheck>()
            .AddSingleton<FeatureExtractor>()
            .AddSingleton<TargetGrader>()
            .AddSingleton<TargetIndex>()
            .AddSingleton(_ => new RecaptureDetector())
            .AddSingleton<ScanRecognizer>()
            .AddSingleton<ImageReuseRegistry>()
            .AddSingleton<DeviceActivityRegistry>()
            .AddSingleton<RecognitionResults>()
            .AddSingleton<RecognitionMetrics>()
            .AddSingleton<TargetFeatureStore>()
            .AddSingleton<TargetIndexLoader>()
            .AddSingleton<IndexConsumersStarter>()
            .AddHostedService(sp => sp.GetRequiredService<IndexConsumersStarter>());
        builder.Services.AddHealthChecks().AddCheck<IndexConsumersStarter>("index", tags: [ServiceDefaultsExtensions.ReadyTag,
            ServiceDefaultsExtensions.ServingTag]);
        return builder;
    }

    public static void AddRecognitionConsumers(this IBusRegistrationConfigurator x)
    {
        // The bus starts with every endpoint configured here but these two. IndexConsumersStarter then (in the host's
        // Started phase, after the bus is up with WaitUntilStarted) loads the index and connects these two, which use it;
        // the temporary queues below hold the target events published meanwhile.
        x.AddConsumer<ScanSubmittedConsumer, ScanSubmittedConsumerDefinition>().ExcludeFromConfigureEndpoints();
        x.AddConsumer<TargetImageSubmittedConsumer>().ExcludeFromConfigureEndpoints();
        x.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        // Every worker keeps a full index, so each needs every TargetIndexed: a temporary queue per instance.
        var instance = Guid.NewGuid().ToString("N")[..8];
        x.AddConsumer<TargetIndexedConsumer>().Endpoint(e =>
        {
            e.InstanceId = instance;
            e.Temporary = true;
        });
        x.AddConsumer<TargetDeletedConsumer>().Endpoint(e =>
        {
            e.InstanceId = instance;
            e.Temporary = true;
        });
        x.AddConsumer<TargetActivityConsumer>().Endpoint(e =>
        {
            e.InstanceId = instance;
            e.Temporary = true;
            e.ConcurrentMessageLimit = 1;
        });
        x.AddConsumer<TargetActivityStoreConsumer>();
        x.AddConsumer<TargetDeletedStoreConsumer>();
    }
}
