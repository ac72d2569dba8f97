using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ArFleet.ServiceDefaults;

public static class WatchdogRegistration
{
    public static IServiceCollection AddReceiveEndpointWatchdog(this IServiceCollection services, IConfiguration configuration, BrokerAddress broker)
    {
        services.Configure<WatchdogOptions>(configuration.GetSection("ArFleet:Watchdog"));
        services.AddSingleton(broker);
        services.AddSingleton<ReceiveEndpointActivity>();
        services.AddReceiveEndpointObserver(sp => sp.GetRequiredService<ReceiveEndpointActivity>());
        services.AddReceiveObserver(sp => sp.GetRequiredService<ReceiveEndpointActivity>());
        services.AddSingleton<ReceiveEndpointWatchdog>();
        services.AddHostedService(sp => sp.GetRequiredService<ReceiveEndpointWatchdog>());
        services.AddHealthChecks().AddCheck<ReceiveEndpointHealthCheck>("receive-endpoints", tags: [ServiceDefaultsExtensions.LiveTag]);
        return services;
    }
}
