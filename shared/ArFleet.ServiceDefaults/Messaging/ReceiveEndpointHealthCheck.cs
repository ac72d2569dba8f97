using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ArFleet.ServiceDefaults;

/// <summary>Live only while every receive endpoint consumes (what the watchdog last saw on the broker). A broker that is
/// away is Degraded, not Unhealthy: restarting the process would not bring it back.</summary>
public sealed class ReceiveEndpointHealthCheck(ReceiveEndpointWatchdog watchdog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var verdict = watchdog.Current;
        if (!verdict.BrokerReachable) return Task.FromResult(HealthCheckResult.Degraded($"RabbitMQ unreachable: {verdict.LastError}"));
        if (verdict.Stalled.Count > 0)
            return Task.FromResult(HealthCheckResult.Unhealthy("Receive endpoints not consuming: " + string.Join("; ", verdict.Stalled)));
        return Task.FromResult(HealthCheckResult.Healthy("Every receive endpoint consumes"));
    }
}
