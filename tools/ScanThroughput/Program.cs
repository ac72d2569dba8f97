// End-to-end scan throughput of a whole fleet, and of a baseline checkout's fleet in the same run, alternating, on the
// same servers: scans per second and latency from submission to the resolved answer (each scan waits for its result).
// Usage (./arfleet scan-throughput starts the servers and passes these on):
//   scan-throughput [--scans N] [--concurrency C] [--rounds R] [--baseline DIR]
// DIR is another checkout with its services built in Release (e.g. a git worktree of an older commit).
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ArFleet.Testing;

var scans = Option("--scans", 600);
var concurrency = Option("--concurrency", 16);
var rounds = Option("--rounds", 2);
var baseline = args.SkipWhile(a => a != "--baseline").Skip(1).FirstOrDefault();

var infrastructure = await Infrastructure.StartAsync();
var results = new List<(string Fleet, int Round, double PerSecond, double P50, double P99, int Resolved)>();
for (var round = 1; round <= rounds; round++)
{
    // Alternating, so a machine that gets busier during the run weighs on both alike.
    if (baseline is not null) results.Add(await MeasureAsync("baseline", round, baseline));
    results.Add(await MeasureAsync("current", round, null));
}
foreach (var r in results)
    Console.WriteLine($"{r.Fleet,-9} round {r.Round}: {r.PerSecond,6:0.0} scans/s  p50 {r.P50,6:0} ms  p99 {r.P99,6:0} ms  ({r.Resolved}/{scans} resolved)");
if (baseline is not null)
{
    double Mean(string fleet, Func<(string, int, double PerSecond, double P50, double P99, int), double> pick) =>
        results.Where(r => r.Fleet == fleet).Average(r => pick(r));
    Console.WriteLine($"current / baseline: scans/s {Mean("current", r => r.PerSecond) / Mean("baseline", r => r.PerSecond):0.00}x, " +
        $"p99 {Mean("current", r => r.P99) / Mean("baseline", r => r.P99):0.00}x");
}
return;

async Task<(string, int, double, double, double, int)> MeasureAsync(string name, int round, string? servicesRoot)
{
    Environment.SetEnvironmentVariable("ARFLEET_SERVICES_ROOT", servicesRoot);
    await using var fleet = await Fleet.StartAsync(infrastructure, new Dictionary<string, string> { ["ArFleet__ConsoleTraces"] = "false" });
    using var client = new ArFleetClient(fleet);
    var brand = await client.CreateTenantAsync("brand", "brand");
    var app = await client.CreateTenantAsync("app", "app");
    var (targetId, target) = await client.CreateActiveTargetAsync(brand.ApiKey, seed: 11);
    await client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: scans / 2));
    var images = Enumerable.Range(0, 16).Select(i => TestImages.CameraScan(target, seed: 500 + i).Jpeg).ToList();

    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    // A short warm-up, so both fleets are measured with their code compiled and their connections open.
    await RunAsync(http, fleet.Ingest, app.ApiKey, images, 32, concurrency, "warmup");
    var stopwatch = Stopwatch.StartNew();
    var latencies = await RunAsync(http, fleet.Ingest, app.ApiKey, images, scans, concurrency, $"{name}-{round}");
    var seconds = stopwatch.Elapsed.TotalSeconds;
    var resolved = latencies.Where(l => l is not null).Select(l => l!.Value).Order().ToList();
    return (name, round, resolved.Count / seconds, Percentile(resolved, 0.5), Percentile(resolved, 0.99), resolved.Count);
}

static async Task<List<double?>> RunAsync(HttpClient http, Uri ingest, string key, List<byte[]> images, int count, int concurrency, string run)
{
    var latencies = new double?[count];
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(images[i % images.Count]), "image", "scan.jpg" },
            { new StringContent($"{run}-user-{i}"), "userId" },
            { new StringContent($"{run}-device-{i}"), "deviceId" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ingest, "/v1/scans?wait=10")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request, ct);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))?["status"]?.GetValue<string>();
        if (response.IsSuccessStatusCode && status is not "processing") latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    });
    return [.. latencies];
}

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(p * sorted.Count) - 1)];

int Option(string name, int fallback) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value) : fallback;
