using ArFleet.Images;

namespace ArFleet.Recognition.Engine;

/// <summary>What an operator may tune per deployment (configuration section "Recognition"): image sizes, feature counts,
/// the inverted file's memory and the candidates verified, which trade recognition for memory and time. What decides
/// acceptance is not here: those numbers are RecognitionThresholds, measured constants changed only with
/// <c>./arfleet recognize-eval</c>. A number belongs here only when a deployment may sensibly set it otherwise.</summary>
public sealed class RecognitionOptions
{
    /// <summary>Queries are reduced to this many pixels on their longest side before feature extraction.</summary>
    public int QueryMaxSide { get; set; } = 640;
    public int QueryFeatures { get; set; } = 1500;
    public int QueryPyramidLevels { get; set; } = 10;
    /// <summary>Pyramid levels above the query's own resolution (each 1.2× larger), for targets seen small.</summary>
    public int QueryFirstLevel { get; set; } = 2;
    public int TargetMaxSide { get; set; } = 480;
    public int TargetFeatures { get; set; } = 1000;
    /// <summary>Twelve levels of 1.2 reach a target seen at a sixth of its reference size.</summary>
    public int TargetPyramidLevels { get; set; } = 12;
    /// <summary>ORB's FAST threshold and patch size, for queries and targets alike (measured with recognize-eval).</summary>
    public int FastThreshold { get; set; } = 10;
    public int PatchSize { get; set; } = 25;
    /// <summary>FAST threshold for a dim or blurred query, one whose frame has fewer corners at FastThreshold than a tenth
    /// of QueryFeatures (measured with recognize-eval).</summary>
    public int DimQueryFastThreshold { get; set; } = 7;
    /// <summary>Hash tables and bits per binary word of the inverted file (see BinaryWordIndex): each table costs 4 bytes
    /// per target feature and 2^bits × 8 bytes of bucket heads.</summary>
    public int HashTables { get; set; } = 16;
    public int HashBits { get; set; } = 22;
    /// <summary>Hamming distance (of 256 bits) within which a shared word counts as a vote.</summary>
    public int MaxWordDistance { get; set; } = 36;
    /// <summary>How many of the best-voted targets are verified geometrically, and the votes a candidate needs.</summary>
    public int Candidates { get; set; } = 8;
    public int MinVotes { get; set; } = 3;
    /// <summary>Homography inliers needed to accept a match (a target's simulated scans need a few more, see TargetGrader).</summary>
    public int MinInliers { get; set; } = 15;
    public ImageLimits ImageLimits { get; set; } = new();
    /// <summary>How long the fingerprints of a target's scans are kept to find images sent again by others (see
    /// ImageReuse in the service); a campaign running longer than this forgets its oldest scans.</summary>
    public int ImageReuseDays { get; set; } = 90;
}
