using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Records (de)activations in the store once, from a durable queue, so a worker that starts later loads the
/// target in its latest state even if no worker was running when the brand changed it.</summary>
public sealed class TargetActivityStoreConsumer(TargetFeatureStore store) : IConsumer<TargetDeactivated>, IConsumer<TargetActivated>
{
    public Task Consume(ConsumeContext<TargetDeactivated> context) =>
        store.SetActiveAsync(context.Message.TargetId, false, context.Message.OccurredAt, context.CancellationToken);

    public Task Consume(ConsumeContext<TargetActivated> context) =>
        store.SetActiveAsync(context.Message.TargetId, true, context.Message.OccurredAt, context.CancellationToken);
}
