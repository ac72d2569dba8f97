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
