using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ArFleet.ServiceDefaults;

/// <summary>A message that can never succeed (bad data, not a passing fault): it skips the retries and
/// goes straight to the error queue, where the fault headers carry this exception's message as the reason.</summary>
public class PoisonMessageException(string reason) : Exception(reason);

public static class Messaging
{
    /// <summary>MassTransit on RabbitMQ from ConnectionStrings:rabbitmq (amqp://user:pass@host:port/vhost).
    /// Failed messages are retried, then moved to the queue's _error queue; never acknowledged and dropped.</summary>
    public static IHostApplicationBuilder AddArFleetMessaging(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> configure)
    {
        var uri = new Uri(builder.Configuration.GetConnectionString("rabbitmq")
            ?? throw new InvalidOperationException("ConnectionStrings:rabbitmq is not configured."));
        var prefetch = builder.Configuration.GetValue("ArFleet:Prefetch", 32);

        builder.Services.AddMassTransit(x =>
        {
            // Queues are named per service (campaign-rules-reward-issued, isv-webhook-reward-issued...) so two
            // services consuming one event each get every copy instead of competing for it.
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(ServiceName(builder.Environment) + "-", false));
            configure(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(uri.Host, (ushort)(uri.IsDefaultPort ? 5672 : uri.Port), VirtualHost(uri), h =>
                {
                    var (user, password) = Credentials(uri);
                    h.Username(user);
                    h.Password(password);
                });
                cfg.PrefetchCount = prefetch;
                cfg.UseMessageRetry(r =>
                {
                    r.Ignore<PoisonMessageException>();
                    r.Intervals(100, 500, 2000, 5000);
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

    private static string VirtualHost(Uri uri)
    {
        var path = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return path.Length == 0 ? "/" : path;
    }

    private static (string User, string Password) Credentials(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo)) return ("guest", "guest");
        var parts = uri.UserInfo.Split(':', 2);
        return (Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
    }
}
