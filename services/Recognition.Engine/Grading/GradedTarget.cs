namespace ArFleet.Recognition.Engine;

/// <summary>A graded target image: its features, grade, ColourSignature and Shapes.</summary>
public sealed record GradedTarget(ImageFeatures Features, TargetGrader.Grade Grade, byte[] Colour, Shape[] Shapes)
{
    public IndexedTarget ToIndexed(Guid targetId, Guid tenantId) =>
        new(targetId, tenantId, Features.Width, Features.Height, Features.Points, Features.Descriptors, Colour, Shapes);
}
