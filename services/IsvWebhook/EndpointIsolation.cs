using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace ArFleet.IsvWebhook;

/// <summary>One resilience pipeline per endpoint (Polly): a cap on requests in flight, a rate limit, a circuit
/// breaker and the timeout. Nothing waits in these limiters: a delivery they refuse is put back in the queue,
/// so a dead or slow endpoint never holds the dispatcher's shared slots beyond its own cap. An endpoint's own rate
/// limit (PATCH rateLimitPerSecond) replaces the default rate on its next delivery.</summary>
public sealed class EndpointIsolation(IOptions<WebhookOptions> options, TimeProvider clock) : IDisposable
{
    private sealed class Lane(ConcurrencyLimiter inFlight, int ratePerSecond, CircuitBreakerStateProvider circuit)
    {
        public ResiliencePipeline<HttpResponseMessage> Pipeline { get; set; } = ResiliencePipeline<HttpResponseMessage>.Empty;
        public ConcurrencyLimiter InFlight => inFlight;
        public CircuitBreakerStateProvider Circuit => circuit;
        /// <summary>Read at every acquisition, so that a changed rate takes effect without a new pipeline (and circuit).</summary>
        public volatile TokenBucketRateLimiter Rate = NewRate(ratePerSecond);
        public int RatePerSecond { get; private set; } = ratePerSecond;

        public void ChangeRate(int ratePerSecond)
        {
            lock (this)
            {
                if (ratePerSecond == RatePerSecond) return;
                var old = Rate;
                Rate = NewRate(ratePerSecond);
                RatePerSecond = ratePerSecond;
                // Later, so an acquisition that read the old limiter a moment ago does not meet a disposed one.
                _ = Task.Delay(TimeSpan.FromSeconds(10)).ContinueWith(_ => old.Dispose(), TaskScheduler.Default);
            }
        }

        public static TokenBucketRateLimiter NewRate(int ratePerSecond) => new(new TokenBucketRateLimiterOptions
        {
            TokenLimit = ratePerSecond,
            TokensPerPeriod = ratePerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
        private long openUntilTicks;

        /// <summary>Polly moves an open circuit to half-open only when something executes after the break, so the
        /// end of the break is kept here: until then claims skip the endpoint, after it they let a trial through.</summary>
        public DateTimeOffset OpenUntil
        {
            get => new(Volatile.Read(ref openUntilTicks), TimeSpan.Zero);
            set => Volatile.Write(ref openUntilTicks, value.UtcTicks);
        }
    }

    private readonly ConcurrentDictionary<Guid, Lazy<Lane>> lanes = new();
    private readonly WebhookOptions options = options.Value;

    /// <param name="endpointId">The endpoint whose lane (breaker, concurrency and rate) to use.</param>
    /// <param name="ratePerSecond">The endpoint's own rate limit; null for Webhooks:Isolation:RatePerSecond.</param>
    public ResiliencePipeline<HttpResponseMessage> For(Guid endpointId, int? ratePerSecond = null)
    {
        var lane = LaneOf(endpointId);
        lane.ChangeRate(ratePerSecond ?? options.Isolation.RatePerSecond);
        return lane.Pipeline;
    }

    /// <summary>Endpoints that cannot take another request now (all in-flight slots used, or the circuit not
    /// closed): claims skip their deliveries instead of claiming and putting them back.</summary>
    public Guid[] Saturated() =>
    [
        .. lanes.Where(l => l.Value.IsValueCreated && IsSaturated(l.Value.Value)).Select(l => l.Key),
    ];

    public CircuitState CircuitOf(Guid endpointId) => LaneOf(endpointId).Circuit.CircuitState;

    private bool IsSaturated(Lane lane) =>
        lane.InFlight.GetStatistics()?.CurrentAvailablePermits == 0
        || lane.Circuit.CircuitState switch
        {
            CircuitState.Open => clock.GetUtcNow() < lane.OpenUntil,
            CircuitState.HalfOpen or CircuitState.Isolated => true, // half-open: the trial is in flight
            _ => false,
        };

    private Lane LaneOf(Guid endpointId) => lanes.GetOrAdd(endpointId, _ => new Lazy<Lane>(CreateLane)).Value;

    private Lane CreateLane()
    {
        var isolation = options.Isolation;
        var inFlight = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = isolation.MaxConcurrency, QueueLimit = 0 });
        var circuit = new CircuitBreakerStateProvider();
        var lane = new Lane(inFlight, isolation.RatePerSecond, circuit);
        lane.Pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock }
            .AddRateLimiter(inFlight)
            .AddRateLimiter(new RateLimiterStrategyOptions { RateLimiter = args => lane.Rate.AcquireAsync(1, args.Context.CancellationToken) })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = isolation.FailureRatio,
                MinimumThroughput = isolation.MinimumThroughput,
                SamplingDuration = isolation.SamplingDuration,
                BreakDuration = isolation.BreakDuration,
                StateProvider = circuit,
                OnOpened = args =>
                {
                    lane.OpenUntil = clock.GetUtcNow() + args.BreakDuration;
                    return ValueTask.CompletedTask;
                },
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || (int)r.StatusCode == 429),
            })
            .AddTimeout(options.Timeout)
            .Build();
        return lane;
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
