using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ArFleet.ServiceDefaults;

public static class OutboxRegistration
{
    /// <summary>The transactional outbox (Outbox, to write events with state changes) and its relay. Needs
    /// AddArFleetPostgres, a migration that creates outbox_messages (see CampaignRules/Migrations/004_outbox_messages.sql)
    /// and AddArFleetMessaging, whose bus the relay publishes through. Settings: the "Outbox" section (OutboxOptions).
    /// The backlog check has no tags, so it shows in /health/ready only.</summary>
    public static IHostApplicationBuilder AddArFleetOutbox(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<OutboxOptions>(builder.Configuration.GetSection("Outbox"));
        builder.Services.AddSingleton<OutboxSignal>().AddSingleton<Outbox>();
        builder.Services.AddHostedService<OutboxRelay>();
        builder.Services.AddHealthChecks().AddCheck<OutboxBacklogHealthCheck>("outbox");
        return builder;
    }
}
