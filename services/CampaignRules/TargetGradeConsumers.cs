using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.CampaignRules;

public sealed class TargetIndexedConsumer(TargetStore store) : IConsumer<TargetIndexed>
{
    public async Task Consume(ConsumeContext<TargetIndexed> context)
    {
        var indexed = context.Message;
        // Both writes are idempotent, so a redelivery repeats them harmlessly.
        if (indexed.SharedWith is { Length: > 0 } shared) await store.RecordSharesAsync(indexed.TargetId, shared, context.CancellationToken);
        await store.SetGradeAsync(indexed.TargetId, TargetStatus.Active, indexed.Grade, null, indexed.NearDuplicateOf, context.CancellationToken);
    }
}

public sealed class TargetRejectedConsumer(TargetStore store) : IConsumer<TargetRejected>
{
    public Task Consume(ConsumeContext<TargetRejected> context) =>
        store.SetGradeAsync(context.Message.TargetId, TargetStatus.Rejected, context.Message.Grade, context.Message.Reason, null,
            context.CancellationToken);
}
