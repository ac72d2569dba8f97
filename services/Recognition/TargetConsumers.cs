using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Grades a new target; an accepted one is stored and announced so every worker indexes it.</summary>
public sealed class TargetImageSubmittedConsumer(
    TargetGrader grader, TargetIndex index, TargetFeatureStore store, ILogger<TargetImageSubmittedConsumer> logger)
    : IConsumer<TargetImageSubmitted>
{
    public async Task Consume(ConsumeContext<TargetImageSubmitted> context)
    {
        var message = context.Message;
        GradedTarget graded;
        try
        {
            graded = grader.Assess(message.Image);
        }
        catch (ImageRejectedException e)
        {
            await context.Publish(new TargetRejected(message.TargetId, message.TenantId, 0, e.Message, DateTimeOffset.UtcNow));
            return;
        }

        var (features, grade, _, _) = graded;
        using (features)
        {
            if (grade.RejectionReason is not null)
            {
                await context.Publish(new TargetRejected(message.TargetId, message.TenantId, grade.Value, grade.RejectionReason, DateTimeOffset.UtcNow));
                return;
            }
            // Two nearly identical targets make scans of either ambiguous: the brand is told, but only of its own
            // targets (another brand's target id must never leak). The new target is accepted all the same.
            Guid? nearDuplicateOf = null;
            if (index.Match(features, exclude: message.TargetId) is { } twin && twin.TenantId == message.TenantId && twin.InlierRatio >= 0.5)
            {
                nearDuplicateOf = twin.TargetId;
                logger.LogInformation("Target {TargetId} is nearly identical to target {OtherTargetId} ({Inliers} matching features)",
                    message.TargetId, twin.TargetId, twin.Inliers);
            }
            var target = graded.ToIndexed(message.TargetId, message.TenantId);
            await store.SaveAsync(target, grade.Value, context.CancellationToken);
            await context.Publish(new TargetIndexed(message.TargetId, message.TenantId, grade.Value, features.Count, DateTimeOffset.UtcNow, nearDuplicateOf));
        }
    }
}

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

/// <summary>Records (de)activations in the store once, from a durable queue, so a worker that starts later loads the
/// target in its latest state even if no worker was running when the brand changed it.</summary>
public sealed class TargetActivityStoreConsumer(TargetFeatureStore store) : IConsumer<TargetDeactivated>, IConsumer<TargetActivated>
{
    public Task Consume(ConsumeContext<TargetDeactivated> context) =>
        store.SetActiveAsync(context.Message.TargetId, false, context.Message.OccurredAt, context.CancellationToken);

    public Task Consume(ConsumeContext<TargetActivated> context) =>
        store.SetActiveAsync(context.Message.TargetId, true, context.Message.OccurredAt, context.CancellationToken);
}
