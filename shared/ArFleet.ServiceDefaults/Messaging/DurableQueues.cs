using MassTransit;
using MassTransit.RabbitMqTransport.Configuration;

namespace ArFleet.ServiceDefaults;

/// <summary>Every durable queue is a quorum queue (replicated where the cluster has nodes, crash-safe on one) with a
/// delivery limit: a message whose processing kills the worker is redelivered a few times, then dead-lettered to the
/// queue's _error queue instead of looping forever. Temporary (per-instance, auto-delete) queues stay classic.</summary>
public static class DurableQueues
{
    public const int DeliveryLimit = 10;

    public static void Configure(string queue, IRabbitMqReceiveEndpointConfigurator endpoint)
    {
        if (endpoint is RabbitMqReceiveEndpointConfiguration { Settings: { Durable: true, AutoDelete: false } })
        {
            endpoint.SetQuorumQueue();
            endpoint.SetQueueArgument("x-delivery-limit", DeliveryLimit);
            // Declares the _error exchange and queue up front, so a dead-lettered message always has somewhere to go.
            endpoint.BindDeadLetterQueue(queue + "_error", queue + "_error");
        }
    }
}
