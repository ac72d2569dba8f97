using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace ArFleet.Console;

/// <summary>The console's pages call the public APIs through the console itself, same origin (no CORS): /api/{service}/v1/...
/// goes to that service's /v1/... with the caller's own Authorization header, untouched. Only /v1 routes are reachable.</summary>
public static class ApiProxy
{
    /// <summary>The path prefix of each service and its configuration key under Services (Services:campaigns...).</summary>
    public static readonly string[] ServiceKeys = ["campaigns", "ingest", "vouchers", "webhooks"];

    public static IHostApplicationBuilder AddApiProxy(this IHostApplicationBuilder builder)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var service in ServiceKeys)
        {
            var address = builder.Configuration[$"Services:{service}"]
                ?? throw new InvalidOperationException($"Services:{service} is not configured (the {service} service's URL).");
            routes.Add(new RouteConfig
            {
                RouteId = service,
                ClusterId = service,
                Match = new RouteMatch { Path = $"/api/{service}/v1/{{**rest}}" },
            }.WithTransformPathRemovePrefix($"/api/{service}"));
            clusters.Add(new ClusterConfig
            {
                ClusterId = service,
                Destinations = new Dictionary<string, DestinationConfig> { [service] = new() { Address = address } },
                // A scan may wait up to 10 s for its result; uploads take a while on a phone's connection.
                HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(60) },
            });
        }
        builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
        return builder;
    }
}
