namespace ArFleet.Recognition.Engine;

/// <summary>A recognised target. Kind says what recognised it: features (Inliers and InlierRatio are the homography's) or
/// the outline (see Outlines; no inliers).</summary>
public sealed record TargetMatch(Guid TargetId, Guid TenantId, double Confidence, int Inliers, double InlierRatio, double[][] Corners,
    MatchKind Kind = MatchKind.Features);
