using System.Collections.Concurrent;
using MassTransit;

namespace ArFleet.ServiceDefaults;

/// <summary>What this instance's receive endpoints are doing, as MassTransit reports it: which are ready, and how many
/// messages each has taken and finished. The watchdog compares it with what the broker sees.</summary>
public sealed class ReceiveEndpointActivity : IReceiveEndpointObserver, IReceiveObserver
{
    public sealed class Endpoint(string queue)
    {
        public string Queue { get; } = queue;
        public volatile bool Ready;
        public long Received;
        public long Finished;
        public long InFlight => Interlocked.Read(ref Received) - Interlocked.Read(ref Finished);
    }

    private readonly ConcurrentDictionary<string, Endpoint> endpoints = new();

    public IReadOnlyCollection<Endpoint> Endpoints => (IReadOnlyCollection<Endpoint>)endpoints.Values;

    /// <summary>"rabbitmq://host/vhost/campaign-rules-scan-recognized?temporary=true" → "campaign-rules-scan-recognized".</summary>
    public static string QueueOf(Uri inputAddress) => Uri.UnescapeDataString(inputAddress.AbsolutePath.TrimEnd('/').Split('/')[^1]);

    private Endpoint For(Uri inputAddress) => endpoints.GetOrAdd(QueueOf(inputAddress), queue => new Endpoint(queue));

    public Task Ready(ReceiveEndpointReady ready)
    {
        if (ready.IsStarted) For(ready.InputAddress).Ready = true;
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping)
    {
        For(stopping.InputAddress).Ready = false;
        return Task.CompletedTask;
    }

    public Task Completed(ReceiveEndpointCompleted completed)
    {
        For(completed.InputAddress).Ready = false;
        return Task.CompletedTask;
    }

    public Task Faulted(ReceiveEndpointFaulted faulted)
    {
        For(faulted.InputAddress).Ready = false;
        return Task.CompletedTask;
    }

    public Task PreReceive(ReceiveContext context)
    {
        Interlocked.Increment(ref For(context.InputAddress).Received);
        return Task.CompletedTask;
    }

    public Task PostReceive(ReceiveContext context)
    {
        Interlocked.Increment(ref For(context.InputAddress).Finished);
        return Task.CompletedTask;
    }

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        Interlocked.Increment(ref For(context.InputAddress).Finished);
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class =>
        Task.CompletedTask;
}
