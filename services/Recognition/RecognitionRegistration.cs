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
            .AddSingleton<TargetIndex>()
            .AddSingleton<TargetFeatureStore>()
            .AddHostedService<TargetIndexLoader>();
        return builder;
    }

    public static void AddRecognitionConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ScanSubmittedConsumer, ScanSubmittedConsumerDefinition>();
        x.AddConsumer<TargetImageSubmittedConsumer>();
        // Every worker keeps a full index, so each needs every TargetIndexed: a temporary queue per instance.
        x.AddConsumer<TargetIndexedConsumer>().Endpoint(e =>
        {
            e.InstanceId = Guid.NewGuid().ToString("N")[..8];
            e.Temporary = true;
        });
    }
}

public sealed class RecognitionOptions
{
    /// <summary>Queries are reduced to this many pixels on their longest side before feature extraction.</summary>
    public int QueryMaxSide { get; set; } = 640;
    public int TargetMaxSide { get; set; } = 640;
    public int Features { get; set; } = 1000;
    /// <summary>Homography inliers needed to accept a match.</summary>
    public int MinInliers { get; set; } = 15;
    public ImageLimits ImageLimits { get; set; } = new();
}
