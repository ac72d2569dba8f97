// End-to-end scan throughput of a whole fleet, and of a baseline checkout's fleet in the same run, alternating, on the
// same servers: scans per second, latency from submission to the resolved answer (each scan waits for its result), and
// CPU milliseconds per scan by process (each service, and each server with its child processes).
// Usage (./arfleet scan-throughput starts the servers and passes these on):
//   scan-throughput [--scans N] [--concurrency C] [--rounds R] [--warmup W] [--baseline DIR]
// DIR is another checkout with its services built in Release (e.g. a git worktree of an older commit). Server CPU counts
// everything the servers do meanwhile: run on servers of your own (ARFLEET_HOME and ARFLEET_*_PORT) for clean figures.
using System.Diagnostics;
using ArFleet.Testing;
using Npgsql;

var scans = Option("--scans", 600);
var concurrency = Option("--concurrency", 16);
var rounds = Option("--rounds", 2);
var warmUp = Option("--warmup", 1500); // a fresh fleet on this machine levels off after about 1,200
var baseline = args.SkipWhile(a => a != "--baseline").Skip(1).FirstOrDefault();

var infrastructure = await Infrastructure.StartAsync();
var servers = new Dictionary<string, int?>
{
    ["rabbitmq"] = ProcessCpu.ListenerOf(new Uri(infrastructure.RabbitMqUrl).Port),
    ["redis"] = ProcessCpu.ListenerOf(int.Parse(infrastructure.Redis.Split(',')[0].Split(':')[1])),
    ["postgres"] = ProcessCpu.ListenerOf(new NpgsqlConnectionStringBuilder(infrastructure.Postgres).Port),
};
var results = new List<Run>();
var refusals = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(); // answers other than 2xx, by status and title
for (var round = 1; round <= rounds; round++)
{
    // Alternating, so a machine that gets busier during the run weighs on both alike.
    if (baseline is not null) results.Add(await MeasureAsync("baseline", round, baseline));
    results.Add(await MeasureAsync("current", round, null));
}
foreach (var r in results)
    Console.WriteLine($"{r.Fleet,-9} round {r.Round}: {r.PerSecond,6:0.0} scans/s  p50 {r.P50,6:0} ms  p99 {r.P99,6:0} ms  " +
        $"({r.Resolved}/{scans} resolved)  CPU ms/scan: {string.Join("  ", r.CpuPerScan.Select(c => $"{c.Key} {c.Value:0.0}"))}");
foreach (var (answer, count) in refusals) Console.WriteLine($"refused: {count} x {answer}");
if (baseline is not null)
{
    double Mean(string fleet, Func<Run, double> pick) => results.Where(r => r.Fleet == fleet).Average(pick);
    Console.WriteLine($"current / baseline: scans/s {Mean("current", r => r.PerSecond) / Mean("baseline", r => r.PerSecond):0.00}x, " +
        $"p99 {Mean("current", r => r.P99) / Mean("baseline", r => r.P99):0.00}x");
    Console.WriteLine("CPU ms per scan, mean over rounds (current - baseline):");
    // The processes both fleets ran (a baseline from before the console has no console).
    foreach (var process in results.Select(r => r.CpuPerScan.Keys.AsEnumerable()).Aggregate((a, b) => a.Intersect(b)))
    {
        var (now, before) = (Mean("current", r => r.CpuPerScan[process]), Mean("baseline", r => r.CpuPerScan[process]));
        Console.WriteLine($"  {process,-17} {before,6:0.0} -> {now,6:0.0}  ({now - before:+0.0;-0.0})");
    }
}
return;

async Task<Run> MeasureAsync(string name, int round, string? servicesRoot)
{
    Environment.SetEnvironmentVariable("ARFLEET_SERVICES_ROOT", servicesRoot);
    await using var fleet = await Fleet.StartAsync(infrastructure, new Dictionary<string, string> { ["ArFleet__ConsoleTraces"] = "false" });
    using var client = new ArFleetClient(fleet);
    var brand = await client.CreateTenantAsync("brand", "brand");
    var app = await client.CreateTenantAsync("app", "app");
    var (targetId, target) = await client.CreateActiveTargetAsync(brand.ApiKey, seed: 11);
    // 16 photos from many users: duplicates let through, so both fleets do the same work (the baseline has no such policy).
    await client.CreateCampaignAsync(brand.ApiKey,
        ArFleetClient.VoucherCampaign(targetId, budget: warmUp + scans / 2, ("fraud", new { duplicateImage = "ignore" })));
    var images = Enumerable.Range(0, 16).Select(i => TestImages.CameraScan(target, seed: 500 + i).Jpeg).ToList();

    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    // A fresh fleet's first scans pay for compiling its code (tiered JIT: a method is recompiled optimised after 30 calls),
    // more so the more code it has: both fleets are measured after a warm-up long enough to reach their steady state.
    // In steps with the services' CPU per scan of each, so that the output shows whether it has levelled off.
    const int warmUpStep = 300;
    var processes = fleet.Services.ToDictionary(s => s.Key, s => (int?)s.Value.ProcessId).Concat(servers).ToList();
    double ServicesCpu() => fleet.Services.Values.Sum(s => ProcessCpu.TreeMilliseconds(s.ProcessId));
    var warmUpSteps = new List<string>();
    for (var done = 0; done < warmUp; done += warmUpStep)
    {
        var step = Math.Min(warmUpStep, warmUp - done);
        var cpu = ServicesCpu();
        await RunAsync(http, fleet.Ingest, app.ApiKey, images, step, concurrency, $"warmup-{name}-{round}");
        warmUpSteps.Add($"{(ServicesCpu() - cpu) / step:0.0}");
    }
    Console.Error.WriteLine($"{name} round {round}: services' CPU ms per scan in the warm-up's steps of {warmUpStep}: {string.Join(", ", warmUpSteps)}");
    var cpuBefore = processes.ToDictionary(p => p.Key, p => p.Value is { } pid ? ProcessCpu.TreeMilliseconds(pid) : double.NaN);
    var stopwatch = Stopwatch.StartNew();
    var latencies = await RunAsync(http, fleet.Ingest, app.ApiKey, images, scans, concurrency, $"{name}-{round}");
    var seconds = stopwatch.Elapsed.TotalSeconds;
    // What is still in flight (webhooks, the last vouchers) is part of the cost of these scans.
    await Task.Delay(TimeSpan.FromSeconds(2));
    var resolved = latencies.Where(l => l is not null).Select(l => l!.Value).Order().ToList();
    // A 500 is a bug: show what the services logged about it.
    if (refusals.Keys.Any(k => k.StartsWith($"{name}-{round}: 5", StringComparison.Ordinal)
        || k.StartsWith($"warmup-{name}-{round}: 5", StringComparison.Ordinal)))
        foreach (var service in fleet.Services.Values)
            foreach (var line in service.Output.Split('\n').Where(l => l.Contains("fail:") || l.Contains("Exception")).Take(20))
                Console.Error.WriteLine($"{name} {service.Name}: {line}");
    var cpuPerScan = processes.ToDictionary(p => p.Key,
        p => p.Value is { } pid ? (ProcessCpu.TreeMilliseconds(pid) - cpuBefore[p.Key]) / Math.Max(1, resolved.Count) : double.NaN);
    if (await RemoveFramesAsync(fleet.Redis) is > 0 and var frames)
        Console.Error.WriteLine($"{name} round {round}: {frames} frames still in Redis after the round, removed");
    return new Run(name, round, resolved.Count / seconds, BoundedScanLoad.Percentile(resolved, 0.5), BoundedScanLoad.Percentile(resolved, 0.99),
        resolved.Count, cpuPerScan);
}

async Task<List<double?>> RunAsync(HttpClient http, Uri ingest, string key, List<byte[]> images, int count, int concurrency, string run)
{
    var answers = await BoundedScanLoad.RunAsync(http, ingest, key, images, new ScanLoadOptions(count, concurrency), run);
    foreach (var refused in answers.Where(a => !a.Accepted))
        refusals.AddOrUpdate($"{run}: {refused.Status} {refused.Title}", 1, (_, n) => n + 1);
    return [.. answers.Select(a => a.Resolved ? a.Milliseconds : (double?)null)];
}

// A fleet from before frames were retired once recognised (54aa224) leaves each in Redis for its hour, this one for two
// minutes (ImageClaimCheck's claim:img: keys): removed after each fleet, or a few rounds of the old one fill Redis's
// maxmemory and weigh on the next fleet's append-only rewrites. On servers of the benchmark's own, as the header says:
// others' frames would go too.
static async Task<int> RemoveFramesAsync(string configuration)
{
    await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(configuration);
    var database = redis.GetDatabase();
    var removed = 0L;
    foreach (var server in redis.GetServers())
        await foreach (var keys in server.KeysAsync(database.Database, "claim:img:*", pageSize: 1000).Chunk(1000))
            removed += await database.KeyDeleteAsync(keys);
    return (int)removed;
}

int Option(string name, int fallback) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value) : fallback;

internal sealed record Run(string Fleet, int Round, double PerSecond, double P50, double P99, int Resolved, Dictionary<string, double> CpuPerScan);
