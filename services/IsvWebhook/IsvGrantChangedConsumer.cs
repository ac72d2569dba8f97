using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.IsvWebhook;

/// <summary>Keeps the brands' grants, so a granted ISV's endpoints receive the brand's events too.</summary>
public sealed class IsvGrantChangedConsumer(IsvGrantStore grants) : IConsumer<IsvGrantChanged>
{
    public Task Consume(ConsumeContext<IsvGrantChanged> context) => grants.RecordAsync(context.Message, context.CancellationToken);
}
