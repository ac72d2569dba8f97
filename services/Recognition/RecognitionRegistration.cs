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
            .AddSingleton<ImageReuseRegistry>()
            .AddSingleton<TargetFeatureStore>()
            .AddSingleton<TargetIndexLoader>();
        return builder;
    }

    public static void AddRecognitionConsumers(this IBusRegistrationConfigurator x)
    {
        // Start-up order (hosted services start one after the other). The bus starts first, with every endpoint
        // configured here but these two, so the temporary queues of target events exist before TargetIndexLoader reads
        // the store: what is published after that read waits in them. Then IndexConsumersStarter connects these two,
        // which use the index. The loader starts after the bus because AddMassTransit registers its hosted service
        // before calling this, and WaitUntilStarted makes that one return only once the bus's endpoints are ready.
        // The web server (health checks included) starts after all of them.
        x.AddConsumer<ScanSubmittedConsumer, ScanSubmittedConsumerDefinition>().ExcludeFromConfigureEndpoints();
        x.AddConsumer<TargetImageSubmittedConsumer>().ExcludeFromConfigureEndpoints();
        x.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        x.AddHostedService(sp => sp.GetRequiredService<TargetIndexLoader>());
        x.AddHostedService<IndexConsumersStarter>();
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
