// ./arfleet load: a bounded load of scans on the fleet that ./arfleet up runs, on this machine only. Sets up its own brand,
// app, target and campaign, prints progress while it runs, then throughput, end-to-end latency, outcomes, refusals and
// CPU milliseconds per scan of each process it was given, against the recognition engine's alone on the same photos
// (docs/operations.md, "Measuring load").
using System.Diagnostics;
using System.Text.RegularExpressions;
using ArFleet.Load;
using ArFleet.Testing;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}
var fleet = FleetAddresses.FromEndpointsFile(options.EndpointsFile);
if (fleet.All.FirstOrDefault(address => !address.IsLoopback) is { } remote)
{
    Console.Error.WriteLine($"load only runs against a fleet on this machine; {options.EndpointsFile} names {remote}");
    return 2;
}

using var client = new ArFleetClient(fleet);
var run = $"load-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
var brand = await client.CreateTenantAsync($"{run} brand", "brand");
var app = await client.CreateTenantAsync($"{run} app", "app");
// A target image of its own: scans of an image find the brand that registered it first, maybe an earlier run's.
var (targetId, target) = await ActiveTargetAsync();
// Photos are reused across users, so duplicate-image refusals are off; the warm-up's vouchers come on top of the budget.
var campaignId = await client.CreateCampaignAsync(brand.ApiKey,
    ArFleetClient.VoucherCampaign(targetId, options.Budget + options.Warmup, ("name", run), ("fraud", new { duplicateImage = "ignore" })));
var photos = Enumerable.Range(0, options.Photos).Select(i => TestImages.CameraScan(target, seed: 500 + i).Jpeg).ToList();
Console.Error.WriteLine($"{run}: target {targetId}, campaign {campaignId} (budget {options.Budget} + {options.Warmup} for the warm-up)");
var engineMilliseconds = EngineCost.MillisecondsPerScan(target, photos);

try
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    // Compiled code and open connections, so the figures are the fleet's steady state.
    if (options.Warmup > 0) Console.Error.WriteLine($"warming up with {options.Warmup} scans (not counted)");
    await BoundedScanLoad.RunAsync(http, fleet.Ingest, app.ApiKey, photos, new ScanLoadOptions(options.Warmup, options.Concurrency), $"{run}-warmup");

    var services = StageTimings.Services(options.EndpointsFile);
    var metricsBefore = await StageTimings.ScrapeAsync(http, services);
    var cpuBefore = options.Processes.ToDictionary(p => p.Key, p => ProcessCpu.TreeMilliseconds(p.Value));
    var answered = 0;
    var clock = Stopwatch.StartNew();
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); }; // Ctrl-C: stop starting scans, report what was answered
    var load = BoundedScanLoad.RunAsync(http, fleet.Ingest, app.ApiKey, photos,
        new ScanLoadOptions(options.Scans, options.Concurrency, options.Rate, options.Duration), run, _ => Interlocked.Increment(ref answered), stop.Token);
    while (await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(2))) != load)
        Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,4:0} s] {answered} of {options.Scans} answered, {answered / clock.Elapsed.TotalSeconds:0.0}/s");
    var answers = await load;
    var seconds = clock.Elapsed.TotalSeconds;
    // What is still in flight after the last answer (webhooks, the ledger) is part of these scans' cost.
    await Task.Delay(TimeSpan.FromSeconds(2));
    var cpu = options.Processes.ToDictionary(p => p.Key, p => ProcessCpu.TreeMilliseconds(p.Value) - cpuBefore[p.Key]);
    var stages = StageTimings.Between(metricsBefore, await StageTimings.ScrapeAsync(http, services));

    var report = LoadReport.From(answers, options, BuildConfiguration(), seconds, cpu, engineMilliseconds, stages);
    report.Print(Console.Out);
    if (options.JsonFile is { } file)
    {
        await File.WriteAllTextAsync(file, report.ToJson());
        Console.WriteLine($"(written to {file})");
    }
    return answers.Any(a => a.Status is >= 500 or 0 && a.Status != 503) ? 1 : 0; // a 500, or no answer at all, is a failure of the fleet
}
finally
{
    // The next run's target must not be shadowed by this one, nor the index grow with every run.
    (await client.SendAsync(HttpMethod.Post, fleet.Campaigns, $"/v1/campaigns/{campaignId}/end", brand.ApiKey)).Dispose();
    (await client.SendAsync(HttpMethod.Delete, fleet.Campaigns, $"/v1/targets/{targetId}", brand.ApiKey)).Dispose();
}

// The configuration the services were built in, from ingest's command line (services/Ingest/bin/<configuration>/...).
string BuildConfiguration() =>
    options.Processes.TryGetValue("ingest", out var pid) && File.Exists($"/proc/{pid}/cmdline")
    && Regex.Match(File.ReadAllText($"/proc/{pid}/cmdline"), @"/bin/([^/]+)/net") is { Success: true } match
        ? match.Groups[1].Value
        : "in an unknown configuration (ingest's process was not given)";

// Grading rejects the odd random synthetic image (too few details survive at small sizes): another seed, then.
async Task<(Guid TargetId, byte[] Image)> ActiveTargetAsync()
{
    for (var attempt = 1; ; attempt++)
    {
        try { return await client.CreateActiveTargetAsync(brand.ApiKey, seed: Random.Shared.Next(100_000, 1_000_000)); }
        catch (InvalidOperationException e) when (attempt < 5) { Console.Error.WriteLine(e.Message.Split('\n')[0]); }
    }
}
