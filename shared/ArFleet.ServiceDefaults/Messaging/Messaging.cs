using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace ArFleet.ServiceDefaults;

public static class Messaging
{
    /// <summary>MassTransit on RabbitMQ from ConnectionStrings:rabbitmq (amqp://user:pass@host:port/vhost). Durable queues are
    /// quorum queues; failed messages are retried (for minutes when the fault is transient), then moved to the queue's
    /// _error queue with the reason; never acknowledged and dropped. A watchdog checks every receive endpoint consumes.</summary>
    public static IHostApplicationBuilder AddArFleetMessaging(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> configure)
    {
        var broker = BrokerAddress.FromConfiguration(builder.Configuration);
        var prefetch = builder.Configuration.GetValue("ArFleet:Prefetch", 32);
        var retries = builder.Configuration.GetSection("ArFleet:Retries").Get<RetryOptions>() ?? new RetryOptions();

        builder.Services.AddReceiveEndpointWatchdog(builder.Configuration, broker);
        builder.Services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry(); // a production fleet never reports to the vendor
            // Queues are named per service (campaign-rules-reward-issued, isv-webhook-reward-issued...) so two
            // services consuming one event each get every copy instead of competing for it.
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(ServiceName(builder.Environment) + "-", false));
            x.AddRabbitMqConfigureEndpointsCallback((_, queue, endpoint) => DurableQueues.Configure(queue, endpoint));
            configure(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(broker.Host, broker.Port, broker.VirtualHost, h =>
                {
                    h.Username(broker.User);
                    h.Password(broker.Password);
                    h.RequestedConnectionTimeout(TimeSpan.FromSeconds(5));
                });
                cfg.PrefetchCount = prefetch;
                // MassTransit indents its JSON by default: a third of every message's bytes, through each queue and the outboxes.
                cfg.ConfigureJsonSerializerOptions(options => new JsonSerializerOptions(options) { WriteIndented = false });
                cfg.SendTopology.ConfigureErrorSettings = DurableQueues.ErrorQueue;
                cfg.SendTopology.ConfigureDeadLetterSettings = DurableQueues.ErrorQueue;
                // Outer: a dependency that is down (database, cache, broker) gets minutes to come back while the
                // message stays unacknowledged in its queue. Inner: a few quick tries for anything else but poison. The
                // inner one must leave transient faults alone: MassTransit's outer retry does not retry what an inner
                // retry handled and gave up on.
                cfg.UseMessageRetry(r =>
                {
                    r.Handle<Exception>(TransientFaults.IsTransient);
                    r.Intervals(retries.TransientIntervals);
                });
                cfg.UseMessageRetry(r =>
                {
                    r.Ignore<PoisonMessageException>();
                    r.Ignore<Exception>(TransientFaults.IsTransient);
                    r.Intervals(retries.ImmediateIntervals);
                });
                cfg.ConfigureEndpoints(context);
            });
        });
        return builder;
    }

    /// <summary>"ArFleet.CampaignRules" → "campaign-rules".</summary>
    public static string ServiceName(IHostEnvironment environment)
    {
        var name = environment.ApplicationName.Replace("ArFleet.", "", StringComparison.Ordinal);
        return string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));
    }
}

/// <summary>ArFleet:Retries. The transient intervals add up to about five minutes, well inside RabbitMQ's 30-minute
/// consumer timeout for an unacknowledged message.</summary>
public sealed class RetryOptions
{
    public TimeSpan[] ImmediateIntervals { get; set; } = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];
    public TimeSpan[] TransientIntervals { get; set; } =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30),
         TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(60)];
}
