using ArFleet.ServiceDefaults;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Connects the consumers that use the index (scans, and the grading of new targets, which looks for near
/// duplicates) once it is loaded, so they never see a partly loaded index.</summary>
public sealed class IndexConsumersStarter(TargetIndexLoader loader, IReceiveEndpointConnector endpoints, IBusRegistrationContext registration)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await loader.Loaded.WaitAsync(cancellationToken);
        await ConnectAsync<ScanSubmittedConsumer>(cancellationToken);
        await ConnectAsync<TargetImageSubmittedConsumer>(cancellationToken);
    }

    private Task ConnectAsync<TConsumer>(CancellationToken cancellationToken) where TConsumer : class, IConsumer
    {
        var queue = registration.EndpointNameFormatter.Consumer<TConsumer>();
        var handle = endpoints.ConnectReceiveEndpoint(queue, (context, endpoint) =>
        {
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) DurableQueues.Configure(queue, rabbit);
            endpoint.ConfigureConsumer<TConsumer>(context);
        });
        return handle.Ready.WaitAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
