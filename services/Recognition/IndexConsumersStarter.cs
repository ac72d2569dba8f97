using ArFleet.ServiceDefaults;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ArFleet.Recognition;

/// <summary>Loads the index, then connects the consumers that use it (scans, and the grading of new targets, which looks
/// for near duplicates), so they never see a partly loaded index. It runs in the host's Started phase, after every hosted
/// service has started, the bus with its temporary queues of target events among them, whatever the registration order.
/// The web server is up meanwhile: /health/live answers through a long load, /health/ready only once this is done.</summary>
public sealed class IndexConsumersStarter(TargetIndexLoader loader, IReceiveEndpointConnector endpoints, IBusRegistrationContext registration)
    : IHostedLifecycleService, IHealthCheck
{
    /// <summary>What a worker holds of the CPU-bound queues (frames, target images): a few more than it has cores, not the
    /// fleet's prefetch, so that workers added under a backlog find it waiting instead of in another worker's buffer.</summary>
    private static readonly int CpuBoundPrefetch = 4 * Environment.ProcessorCount;

    private volatile bool connected;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        await loader.LoadAsync(cancellationToken);
        await ConnectAsync<ScanSubmittedConsumer>(cancellationToken);
        await ConnectAsync<TargetImageSubmittedConsumer>(cancellationToken);
        connected = true;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(connected
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy(loader.Loaded.IsCompleted ? "connecting the scan consumers" : "loading the target index"));

    private Task ConnectAsync<TConsumer>(CancellationToken cancellationToken) where TConsumer : class, IConsumer
    {
        var queue = registration.EndpointNameFormatter.Consumer<TConsumer>();
        var handle = endpoints.ConnectReceiveEndpoint(queue, (context, endpoint) =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                DurableQueues.Configure(queue, rabbit);
                rabbit.PrefetchCount = CpuBoundPrefetch;
            }
            endpoint.ConfigureConsumer<TConsumer>(context);
        });
        return handle.Ready.WaitAsync(cancellationToken);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
