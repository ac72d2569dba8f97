using MassTransit;

namespace ArFleet.CampaignRules;

public static class CampaignRulesRegistration
{
    public static IHostApplicationBuilder AddCampaignRules(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TargetStore>().AddSingleton<CampaignStore>().AddSingleton<CampaignCache>()
            .AddSingleton<CampaignStatsStore>().AddSingleton<CampaignMetrics>();
        builder.Services.Configure<TenantOptions>(builder.Configuration.GetSection("Tenants"));
        builder.Services.AddHostedService<CampaignCacheLoader>();
        return builder;
    }

    public static void AddCampaignRulesConsumers(this IBusRegistrationConfigurator x)
    {
        x.AddConsumer<ScanRecognizedConsumer>();
        x.AddConsumer<ScanUnrecognizedConsumer>();
        x.AddConsumer<RewardIssuedConsumer>();
        x.AddConsumer<ScanResolvedConsumer>();
        x.AddConsumer<TargetIndexedConsumer>();
        x.AddConsumer<TargetRejectedConsumer>();
        // Every instance keeps its own rule cache, so each needs every CampaignChanged: a temporary queue per instance.
        x.AddConsumer<CampaignChangedConsumer>().Endpoint(e =>
        {
            e.InstanceId = Guid.NewGuid().ToString("N")[..8];
            e.Temporary = true;
        });
        // Likewise for a campaign that spent its budget, and for a tenant disabled or enabled: its campaigns leave or rejoin every instance's cache.
        x.AddConsumer<RewardDeniedConsumer>().Endpoint(e =>
        {
            e.InstanceId = Guid.NewGuid().ToString("N")[..8];
            e.Temporary = true;
        });
        x.AddConsumer<TenantStatusChangedConsumer>().Endpoint(e =>
        {
            e.InstanceId = Guid.NewGuid().ToString("N")[..8];
            e.Temporary = true;
        });
    }
}
