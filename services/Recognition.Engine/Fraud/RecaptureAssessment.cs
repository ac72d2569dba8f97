namespace ArFleet.Recognition.Engine;

/// <summary>Whether a recognised target was photographed off a screen or a print. Score is the model's 0-1 (null when the
/// scan cannot tell: then Reasons says why, e.g. tooSmallToJudge); Suspected is Score at or above the model's operating
/// threshold, and then Reasons names "recapture" and the cues that pointed to it.</summary>
public sealed record RecaptureAssessment(double? Score, bool Suspected, string[] Reasons)
{
    public static RecaptureAssessment CannotTell(string reason) => new(null, false, [reason]);
}
