namespace ArFleet.Recognition;

/// <summary>Grades a target 0–5 from how many features it has and how evenly they cover it, in the spirit
/// of Vuforia's star rating; below <see cref="MinAcceptedGrade"/> the target is rejected with a reason a brand understands.</summary>
public static class TargetGrader
{
    public const int MinAcceptedGrade = 2;
    private const int Grid = 4;

    public record Grade(int Value, string? RejectionReason);

    public static Grade Assess(ImageFeatures features, int originalWidth, int originalHeight)
    {
        if (Math.Min(originalWidth, originalHeight) < 64)
            return new Grade(0, "The image is too small: use at least 64 px on the short side (320 px or more works best).");

        var cells = new int[Grid * Grid];
        foreach (var p in features.Points)
        {
            var cx = Math.Clamp((int)(p.X * Grid / features.Width), 0, Grid - 1);
            var cy = Math.Clamp((int)(p.Y * Grid / features.Height), 0, Grid - 1);
            cells[cy * Grid + cx]++;
        }
        var coverage = cells.Count(c => c >= 3) / (double)cells.Length;
        var richness = Math.Min(1.0, features.Count / 500.0);
        var value = (int)Math.Clamp(Math.Round(5 * Math.Sqrt(richness * coverage)), 0, 5);

        if (value >= MinAcceptedGrade) return new Grade(value, null);
        if (features.Count < 150)
            return new Grade(value, "Too little texture: the image has too few distinctive details (corners, edges, print) to be recognised reliably.");
        return new Grade(value, "The details are concentrated in a small part of the image; use an image with texture spread across it.");
    }
}
