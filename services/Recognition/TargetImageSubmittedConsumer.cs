using ArFleet.Contracts;
using MassTransit;

namespace ArFleet.Recognition;

/// <summary>Grades a new target; an accepted one is stored and announced so every worker indexes it.</summary>
public sealed class TargetImageSubmittedConsumer(
    TargetGrader grader, TargetIndex index, TargetFeatureStore store, ILogger<TargetImageSubmittedConsumer> logger)
    : IConsumer<TargetImageSubmitted>
{
    /// <summary>Inlier ratio at which a target registered before is nearly the same image: other targets that merely verify in it
    /// (a logo on a poster) measure far less.</summary>
    private const double NearDuplicateInlierRatio = 0.5;

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
            // Two nearly identical targets make scans of either ambiguous. The brand is told which of its own targets the new one
            // duplicates; of another brand's it is told only that there is one (campaign-rules never names it). Both scans
            // count: their campaigns compete for each scan (see campaign-rules). The new target is accepted all the same.
            var twins = index.MatchAll(features, exclude: message.TargetId).Where(m => m.InlierRatio >= NearDuplicateInlierRatio).ToList();
            var nearDuplicateOf = twins.FirstOrDefault(m => m.TenantId == message.TenantId)?.TargetId;
            var sharedWith = twins.Where(m => m.TenantId != message.TenantId).Select(m => m.TargetId).ToArray();
            foreach (var twin in twins)
                logger.LogInformation("Target {TargetId} is nearly identical to target {OtherTargetId} ({Inliers} matching features)",
                    message.TargetId, twin.TargetId, twin.Inliers);
            var target = graded.ToIndexed(message.TargetId, message.TenantId);
            await store.SaveAsync(target, grade.Value, context.CancellationToken);
            await context.Publish(new TargetIndexed(message.TargetId, message.TenantId, grade.Value, features.Count, DateTimeOffset.UtcNow, nearDuplicateOf,
                sharedWith.Length == 0 ? null : sharedWith));
        }
    }
}
