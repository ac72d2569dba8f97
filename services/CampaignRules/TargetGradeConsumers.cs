using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.CampaignRules;

public sealed class TargetIndexedConsumer(TargetStore store) : IConsumer<TargetIndexed>
{
    public Task Consume(ConsumeContext<TargetIndexed> context) =>
        store.SetGradeAsync(context.Message.TargetId, TargetStatus.Active, context.Message.Grade, null, context.Message.NearDuplicateOf,
            context.CancellationToken);
}

public sealed class TargetRejectedConsumer(TargetStore store) : IConsumer<TargetRejected>
{
    public Task Consume(ConsumeContext<TargetRejected> context) =>
        store.SetGradeAsync(context.Message.TargetId, TargetStatus.Rejected, context.Message.Grade, context.Message.Reason, null,
            context.CancellationToken);
}
