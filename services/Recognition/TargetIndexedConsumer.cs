using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Runs on every worker (a temporary queue each): loads the announced target into this worker's index.</summary>
public sealed class TargetIndexedConsumer(TargetFeatureStore store, TargetIndex index) : IConsumer<TargetIndexed>
{
    public async Task Consume(ConsumeContext<TargetIndexed> context)
    {
        if (index.Contains(context.Message.TargetId)) return;
        // Not stored any more: the target was deleted after it was announced.
        var target = await store.GetAsync(context.Message.TargetId, context.CancellationToken);
        if (target is not null && !index.Add(target)) target.Descriptors.Dispose();
    }
}
