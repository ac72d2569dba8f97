using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace ArFleet.IsvWebhook;

/// <summary>One resilience pipeline per endpoint (Polly): a cap on requests in flight, a rate limit, a circuit
/// breaker and the timeout. Nothing waits in these limiters: a delivery they refuse is put back in the queue,
/// so a dead or slow endpoint never holds the dispatcher's shared slots beyond its own cap.</summary>
public sealed class EndpointIsolation(IOptions<WebhookOptions> options, TimeProvider clock) : IDisposable
{
    private sealed record Lane(ResiliencePipeline<HttpResponseMessage> Pipeline, ConcurrencyLimiter InFlight,
        TokenBucketRateLimiter Rate, CircuitBreakerStateProvider Circuit);

    private readonly ConcurrentDictionary<Guid, Lazy<Lane>> lanes = new();
    private readonly WebhookOptions options = options.Value;

    public ResiliencePipeline<HttpResponseMessage> For(Guid endpointId) => LaneOf(endpointId).Pipeline;

    /// <summary>Endpoints that cannot take another request now (all in-flight slots used, or the circuit not
    /// closed): claims skip their deliveries instead of claiming and putting them back.</summary>
    public Guid[] Saturated() =>
    [
        .. lanes.Where(l => l.Value.IsValueCreated && IsSaturated(l.Value.Value)).Select(l => l.Key),
    ];

    public CircuitState CircuitOf(Guid endpointId) => LaneOf(endpointId).Circuit.CircuitState;

    private static bool IsSaturated(Lane lane) =>
        lane.InFlight.GetStatistics()?.CurrentAvailablePermits == 0 || lane.Circuit.CircuitState != CircuitState.Closed;

    private Lane LaneOf(Guid endpointId) => lanes.GetOrAdd(endpointId, _ => new Lazy<Lane>(CreateLane)).Value;

    private Lane CreateLane()
    {
        var isolation = options.Isolation;
        var inFlight = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = isolation.MaxConcurrency, QueueLimit = 0 });
        var rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = isolation.RatePerSecond,
            TokensPerPeriod = isolation.RatePerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
        var circuit = new CircuitBreakerStateProvider();
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock }
            .AddRateLimiter(inFlight)
            .AddRateLimiter(rate)
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = isolation.FailureRatio,
                MinimumThroughput = isolation.MinimumThroughput,
                SamplingDuration = isolation.SamplingDuration,
                BreakDuration = isolation.BreakDuration,
                StateProvider = circuit,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || (int)r.StatusCode == 429),
            })
            .AddTimeout(options.Timeout)
            .Build();
        return new Lane(pipeline, inFlight, rate, circuit);
    }

    public void Dispose()
    {
        foreach (var lane in lanes.Values.Where(l => l.IsValueCreated).Select(l => l.Value))
        {
            lane.InFlight.Dispose();
            lane.Rate.Dispose();
        }
    }
}
