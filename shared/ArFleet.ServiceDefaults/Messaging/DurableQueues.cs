using MassTransit;
using MassTransit.RabbitMqTransport.Configuration;

namespace ArFleet.ServiceDefaults;

/// <summary>Every durable queue is a quorum queue (replicated where the cluster has nodes, crash-safe on one) with a
/// delivery limit: a message whose processing kills the worker is redelivered a few times, then dead-lettered to the
/// queue's _error queue instead of looping forever. Temporary (per-instance, auto-delete) queues stay classic.</summary>
public static class DurableQueues
{
    public const int DeliveryLimit = 10;
    private const string QueueType = "x-queue-type", Limit = "x-delivery-limit", DeadLetterExchange = "x-dead-letter-exchange";

    public static void Configure(string queue, IRabbitMqReceiveEndpointConfigurator endpoint)
    {
        if (endpoint is not RabbitMqReceiveEndpointConfiguration { Settings: { Durable: true, AutoDelete: false } }) return;
        endpoint.SetQuorumQueue();
        endpoint.SetQueueArgument(Limit, DeliveryLimit);
        // Declared up front, exactly as MassTransit declares it on the first fault (ErrorQueue below), so that a message
        // dead-lettered before any fault still has somewhere to go: RabbitMQ drops what it dead-letters to no exchange.
        endpoint.BindDeadLetterQueue(queue + "_error", queue + "_error", error => error.SetQueueArgument(QueueType, "quorum"));
    }

    /// <summary>MassTransit gives an _error (and _skipped) queue the arguments of its source queue: kept a quorum queue,
    /// but without the delivery limit and dead-lettering, so a message set aside stays set aside.</summary>
    public static void ErrorQueue(IRabbitMqQueueBindingConfigurator error)
    {
        error.SetQueueArgument(Limit, null);
        error.SetQueueArgument(DeadLetterExchange, null);
    }
}
