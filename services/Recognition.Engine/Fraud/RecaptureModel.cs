using System.Reflection;
using System.Text.Json;

namespace ArFleet.Recognition.Engine;

/// <summary>A logistic regression on RecaptureCues, fitted by <c>recognize-eval recaptures --fit</c> and committed as
/// recapture-model.json (embedded in the engine): each cue is standardised by its training mean and scale, and Threshold is
/// the operating point the fit chose (the lowest score that refuses at most 0.5 % of genuine training scans, so that other scans stay
/// under 1 %).</summary>
public sealed record RecaptureModel(string[] Features, double[] Mean, double[] Scale, double[] Weights, double Intercept, double Threshold,
    string? Fitted = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly Lazy<RecaptureModel> CommittedModel = new(Load);

    /// <summary>The committed model (loaded on first use, so that a tool can still fit one when it no longer matches the cues).</summary>
    public static RecaptureModel Committed => CommittedModel.Value;

    private static RecaptureModel Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("recapture-model.json")
            ?? throw new InvalidOperationException("recapture-model.json is not embedded in the engine");
        var model = JsonSerializer.Deserialize<RecaptureModel>(stream, Json) ?? throw new InvalidOperationException("recapture-model.json is empty");
        if (!model.Features.SequenceEqual(RecaptureCues.Names))
            throw new InvalidOperationException("recapture-model.json was fitted on other cues: fit it again with recognize-eval recaptures --fit");
        return model;
    }

    /// <summary>Each cue's share of the linear score (its weight times its standardised value).</summary>
    public double[] Contributions(double[] cues) => cues.Select((c, i) => Weights[i] * (c - Mean[i]) / Scale[i]).ToArray();

    public double Score(double[] cues) => 1 / (1 + Math.Exp(-(Intercept + Contributions(cues).Sum())));
}
