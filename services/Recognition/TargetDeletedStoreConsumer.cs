using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Records deletions in the store once, from a durable queue, so a worker that starts later never loads the
/// target, even if no worker was running when the brand deleted it. Once stored, the deletion is announced again: a
/// worker that started after the TargetDeleted was published never received it, and may have read the store before
/// the tombstone was written; then its queue already exists when the announcement is published.</summary>
public sealed class TargetDeletedStoreConsumer(TargetFeatureStore store) : IConsumer<TargetDeleted>
{
    public async Task Consume(ConsumeContext<TargetDeleted> context)
    {
        var message = context.Message;
        await store.DeleteAsync(message.TargetId, message.TenantId, message.OccurredAt, context.CancellationToken);
        await context.Publish(new TargetFeaturesDeleted(message.TargetId, message.TenantId, DateTimeOffset.UtcNow));
    }
}
