using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Runs on every worker (a temporary queue each, one message at a time so a quick deactivate-activate keeps
/// its order): the target stops or resumes being matched at once; its features stay in the index. While the worker
/// starts, a change waits until the stored flags are loaded, so an older stored flag never overrides it.</summary>
public sealed class TargetActivityConsumer(TargetIndex index, TargetIndexLoader loader) : IConsumer<TargetDeactivated>, IConsumer<TargetActivated>
{
    public async Task Consume(ConsumeContext<TargetDeactivated> context)
    {
        await loader.Loaded.WaitAsync(context.CancellationToken);
        index.SetActive(context.Message.TargetId, false);
    }

    public async Task Consume(ConsumeContext<TargetActivated> context)
    {
        await loader.Loaded.WaitAsync(context.CancellationToken);
        index.SetActive(context.Message.TargetId, true);
    }
}
