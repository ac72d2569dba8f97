using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Runs on every worker (a temporary queue each): the deleted target is dropped from this worker's index at
/// once, and again when the store has recorded the deletion (the index never takes a removed target back).</summary>
public sealed class TargetDeletedConsumer(TargetIndex index) : IConsumer<TargetDeleted>, IConsumer<TargetFeaturesDeleted>
{
    public Task Consume(ConsumeContext<TargetDeleted> context)
    {
        index.Remove(context.Message.TargetId);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<TargetFeaturesDeleted> context)
    {
        index.Remove(context.Message.TargetId);
        return Task.CompletedTask;
    }
}
