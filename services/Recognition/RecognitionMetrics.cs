using System.Diagnostics.Metrics;
using System.Text.Json;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults.Observability;

namespace ArFleet.Recognition;

/// <summary>How long a worker takes per frame, by result. The buckets span the engine's figures (about 20 ms at 1,000
/// targets, 32 ms at 50,000 on one core, docs/recognition.md) up to frames stuck behind a busy core.</summary>
public sealed class RecognitionMetrics
{
    private static readonly double[] Buckets = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];
    private readonly Histogram<double> duration;

    public RecognitionMetrics(IMeterFactory meters) =>
        duration = meters.Create(FleetInstruments.RecognitionMeter).CreateHistogram(FleetInstruments.RecognitionDuration, Buckets);

    public void Published(object result, TimeSpan elapsed) => duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("result", result switch
    {
        ScanRecognized => "recognized",
        ScanUnrecognized u => JsonNamingPolicy.CamelCase.ConvertName(u.Reason.ToString()),
        _ => throw new ArgumentException($"Not a recognition result: {result.GetType().Name}", nameof(result)),
    }));
}
