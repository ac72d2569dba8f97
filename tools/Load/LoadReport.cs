using System.Text.Json;
using System.Text.Json.Serialization;
using ArFleet.Testing;

namespace ArFleet.Load;

/// <summary>What one load run measured; printed, and written as JSON to compare runs.</summary>
public sealed record LoadReport(
    string Configuration, int Scans, int Concurrency, double? Rate, int Answered, int Resolved, double Seconds, double ScansPerSecond,
    Latency EndToEnd, IReadOnlyDictionary<string, int> Outcomes, IReadOnlyDictionary<string, int> Refusals,
    IReadOnlyDictionary<string, double> CpuMillisecondsPerScan, double EngineMillisecondsPerScan, IReadOnlyList<Stage> Stages)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static LoadReport From(IReadOnlyList<ScanAnswer> answers, LoadOptions options, string configuration, double seconds,
        IReadOnlyDictionary<string, double> cpuMilliseconds, double engineMilliseconds, IReadOnlyList<Stage> stages)
    {
        var resolved = answers.Where(a => a.Resolved).ToList();
        var perScan = Math.Max(1, resolved.Count);
        return new LoadReport(configuration, options.Scans, options.Concurrency, options.Rate, answers.Count, resolved.Count, seconds,
            resolved.Count / seconds, Latency.Of([.. resolved.Select(a => a.Milliseconds)]),
            answers.Where(a => a.Accepted).GroupBy(a => a.Resolved ? a.Outcome ?? "(none)" : "still processing after the wait")
                .OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count()),
            answers.Where(a => !a.Accepted).GroupBy(a => $"{a.Status} {a.Title}").ToDictionary(g => g.Key, g => g.Count()),
            cpuMilliseconds.ToDictionary(c => c.Key, c => c.Value / perScan), engineMilliseconds, stages);
    }

    public void Print(TextWriter output)
    {
        output.WriteLine($"{Resolved} of {Scans} scans resolved in {Seconds:0.0} s: {ScansPerSecond:0.0} scans/s " +
            $"({Concurrency} concurrent{(Rate is { } r ? $", at most {r:0.#}/s" : "")}; services built {Configuration})");
        output.WriteLine($"end to end (submission to result): p50 {EndToEnd.P50:0} ms, p95 {EndToEnd.P95:0} ms, p99 {EndToEnd.P99:0} ms, " +
            $"max {EndToEnd.Max:0} ms");
        output.WriteLine("outcomes: " + string.Join(", ", Outcomes.Select(o => $"{o.Key} {o.Value}")));
        foreach (var (refusal, count) in Refusals) output.WriteLine($"refused: {count} x {refusal}");
        if (Stages.Count > 0)
        {
            // sent->consumed: from being published to its consumer starting, i.e. the wait in the queue.
            output.WriteLine("per stage (means from the services' MassTransit metrics):");
            output.WriteLine($"  {"service",-16} {"consumer",-30} {"messages",8} {"sent->consumed",15} {"consuming",10}");
            foreach (var stage in Stages)
                output.WriteLine(
                    $"  {stage.Service,-16} {stage.Consumer,-30} {stage.Messages,8} {stage.SentToConsumedMs,12:0.0} ms {stage.ConsumingMs,7:0.0} ms");
        }
        if (CpuMillisecondsPerScan.Count == 0) return;
        output.WriteLine($"CPU ms per resolved scan: {CpuMillisecondsPerScan.Values.Sum():0.0} in all");
        foreach (var (process, milliseconds) in CpuMillisecondsPerScan.OrderByDescending(c => c.Value))
            output.WriteLine($"  {process,-17} {milliseconds,6:0.0}");
        // Recognition's workers: "recognition" and, scaled out, "recognition-2" and on.
        static bool IsRecognition(string process) => process == "recognition" || process.StartsWith("recognition-", StringComparison.Ordinal);
        if (CpuMillisecondsPerScan.Keys.Any(IsRecognition))
            output.WriteLine($"recognition: {CpuMillisecondsPerScan.Where(c => IsRecognition(c.Key)).Sum(c => c.Value) / EngineMillisecondsPerScan:0.00}x " +
                $"the engine alone on the same photos ({EngineMillisecondsPerScan:0.0} ms); " +
                $"the rest of the fleet: {CpuMillisecondsPerScan.Where(c => !IsRecognition(c.Key)).Sum(c => c.Value):0.0} ms");
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Percentiles of a set of latencies, in milliseconds.</summary>
public sealed record Latency(double P50, double P95, double P99, double Max)
{
    public static Latency Of(List<double> milliseconds)
    {
        milliseconds.Sort();
        return new(BoundedScanLoad.Percentile(milliseconds, 0.50), BoundedScanLoad.Percentile(milliseconds, 0.95), BoundedScanLoad.Percentile(milliseconds,
            0.99),
            milliseconds.Count == 0 ? double.NaN : milliseconds[^1]);
    }
}
