using ArFleet.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace ArFleet.Recognition;

/// <summary>Grades a new target; an accepted one is stored and announced so every worker indexes it.</summary>
public sealed class TargetImageSubmittedConsumer(
    FeatureExtractor extractor, TargetFeatureStore store, IOptions<RecognitionOptions> options) : IConsumer<TargetImageSubmitted>
{
    public async Task Consume(ConsumeContext<TargetImageSubmitted> context)
    {
        var message = context.Message;
        ImageFeatures features;
        try
        {
            features = extractor.Extract(message.Image, options.Value.TargetMaxSide);
        }
        catch (ImageRejectedException e)
        {
            await context.Publish(new TargetRejected(message.TargetId, message.TenantId, 0, e.Message, DateTimeOffset.UtcNow));
            return;
        }

        using (features)
        {
            var grade = TargetGrader.Assess(features, (int)Math.Round(features.Width / features.Scale), (int)Math.Round(features.Height / features.Scale));
            if (grade.RejectionReason is not null)
            {
                await context.Publish(new TargetRejected(message.TargetId, message.TenantId, grade.Value, grade.RejectionReason, DateTimeOffset.UtcNow));
                return;
            }
            var target = new IndexedTarget(message.TargetId, message.TenantId, features.Width, features.Height, features.Points, features.Descriptors);
            await store.SaveAsync(target, grade.Value, context.CancellationToken);
            await context.Publish(new TargetIndexed(message.TargetId, message.TenantId, grade.Value, features.Count, DateTimeOffset.UtcNow));
        }
    }
}

/// <summary>Runs on every worker (a temporary queue each): loads the announced target into this worker's index.</summary>
public sealed class TargetIndexedConsumer(TargetFeatureStore store, TargetIndex index) : IConsumer<TargetIndexed>
{
    public async Task Consume(ConsumeContext<TargetIndexed> context)
    {
        if (index.Contains(context.Message.TargetId)) return;
        var target = await store.GetAsync(context.Message.TargetId, context.CancellationToken)
            ?? throw new InvalidOperationException($"Target {context.Message.TargetId} was announced but its features are not stored.");
        index.Add(target);
    }
}
