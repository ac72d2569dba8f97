using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace ArFleet.ServiceDefaults;

public static class Redis
{
    /// <summary>One shared multiplexer from ConnectionStrings:redis, and a readiness check that pings it.</summary>
    public static IHostApplicationBuilder AddArFleetRedis(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration.GetConnectionString("redis")
            ?? throw new InvalidOperationException("ConnectionStrings:redis is not configured.");
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(configuration);
            options.AbortOnConnectFail = false; // keep retrying while Redis restarts
            options.BacklogPolicy = BacklogPolicy.FailFast; // while it does, calls fail at once (a 503, a retry) instead of queueing
            return ConnectionMultiplexer.Connect(options);
        });
        // Commands are traced inside a request's or a message's trace (the multiplexer is the one above, from DI).
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddRedisInstrumentation(o => o.Filter = c => c.ParentActivity is not null));
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    private sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var latency = await redis.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy($"ping {latency.TotalMilliseconds:0.0} ms");
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("Redis does not answer", e);
            }
        }
    }
}
