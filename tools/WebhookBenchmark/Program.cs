// Webhook delivery throughput: the real dispatcher (PostgreSQL queue, claims, signing, per-endpoint pipeline, attempt
// log) against a plain HttpClient loop with the same concurrency, both to the same local receiver in the same run.
// Usage: dotnet run -c Release --project tools/WebhookBenchmark -- [deliveries a round] [endpoints] [cold|warm] [rounds]
// Each round runs the plain loop and then the dispatcher, and prints their ratio; the median of the rounds comes last.
using System.Diagnostics;
using ArFleet.IsvWebhook;
using ArFleet.ServiceDefaults;
using Npgsql;

var deliveries = args.Length > 0 ? int.Parse(args[0]) : 30000;
var endpointCount = args.Length > 1 ? int.Parse(args[1]) : 16;
var cold = args.Length > 2 && args[2] == "cold"; // the dispatcher not warmed up, as before 2026-12-03
var rounds = args.Length > 3 ? int.Parse(args[3]) : 3;
// Warm-up: the code on both sides (and the receiver's) reaches its final tier only after thousands of calls, and a service
// runs long past that (operations.md has what 500 left).
const int warmUp = 20000;
const int concurrency = 32; // WebhookOptions.MaxConcurrentDeliveries
var postgres = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ARFLEET_POSTGRES") ?? "Host=127.0.0.1;Port=16432;Username=postgres")
{
    Database = $"arfleet_webhook_bench_{Guid.NewGuid():N}"[..40],
}.ConnectionString;

// The receiver: answers 204 and counts.
var received = 0;
var receiverBuilder = WebApplication.CreateSlimBuilder();
receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
receiverBuilder.Logging.ClearProviders();
var receiver = receiverBuilder.Build();
receiver.MapPost("/hooks/{endpoint}", () => { Interlocked.Increment(ref received); return Results.NoContent(); });
await receiver.StartAsync();
var receiverUrl = receiver.Urls.Single();

var body = WebhookEnvelope.Serialize(WebhookEventTypes.ScanResolved, DateTimeOffset.UtcNow,
    new { scanId = Guid.NewGuid(), status = "resolved", outcome = "noReward" });

// Baseline: a plain HttpClient loop, the same body, the same concurrency.
using var http = new HttpClient();
async Task<double> PlainLoopAsync(int count)
{
    var stopwatch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
    {
        using var response = await http.PostAsync($"{receiverUrl}/hooks/{i % endpointCount}",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), ct);
        response.EnsureSuccessStatusCode();
    });
    return count / stopwatch.Elapsed.TotalSeconds;
}
await PlainLoopAsync(cold ? 500 : warmUp);

// The dispatcher, as the service wires it, on a database of its own.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
builder.Logging.ClearProviders();
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:postgres"] = postgres,
    ["Webhooks:AllowLoopback"] = "true",
    ["Webhooks:PollInterval"] = "00:00:00.010",
    ["Webhooks:Isolation:RatePerSecond"] = "100000", // measure the machinery, not the configured per-endpoint rate
});
builder.Services.AddSingleton(TimeProvider.System);
builder.AddArFleetPostgres(typeof(DeliveryQueue).Assembly);
builder.AddWebhookDelivery();
// The queue is filled before the dispatcher starts: take the dispatcher out and start it once the rows are in.
var dispatcherRegistration = builder.Services.Single(d => d.ImplementationType == typeof(DeliveryDispatcher));
builder.Services.Remove(dispatcherRegistration);
using var host = builder.Build();
await host.StartAsync();
try
{
    var store = host.Services.GetRequiredService<EndpointStore>();
    var fanOut = host.Services.GetRequiredService<WebhookFanOut>();
    var tenant = Guid.NewGuid();
    for (var e = 0; e < endpointCount; e++)
        await store.CreateAsync(new WebhookEndpoint(Guid.CreateVersion7(), tenant, $"{receiverUrl}/hooks/{e}", [WebhookEventTypes.ScanResolved],
            DateTimeOffset.UtcNow, null, null), WebhookSigner.NewSecret(), CancellationToken.None);
    await using var pendingCount = host.Services.GetRequiredService<NpgsqlDataSource>()
        .CreateCommand("SELECT count(*) FROM deliveries WHERE status <> 'succeeded'");

    // The queue is filled, then a fresh dispatcher sends it all; done means recorded, not only received.
    async Task<(int Total, TimeSpan Elapsed)> DispatchAsync(string prefix, int events)
    {
        await Parallel.ForAsync(0, events, async (i, ct) =>
            await fanOut.EnqueueAsync(tenant, WebhookEventTypes.ScanResolved, $"{prefix}:{i}", body, null, ct));
        var total = events * endpointCount;
        Interlocked.Exchange(ref received, 0);
        var dispatcher = ActivatorUtilities.CreateInstance<DeliveryDispatcher>(host.Services);
        var stopwatch = Stopwatch.StartNew();
        await dispatcher.StartAsync(CancellationToken.None);
        while (Volatile.Read(ref received) < total && stopwatch.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(5);
        while ((long)(await pendingCount.ExecuteScalarAsync())! > 0 && stopwatch.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(5);
        var elapsed = stopwatch.Elapsed;
        await dispatcher.StopAsync(CancellationToken.None);
        return (total, elapsed);
    }

    // Warmed up as the plain loop is, unless "cold": a fresh process spends much of its first seconds compiling the dispatcher's code
    // (tiered compilation), which the plain loop's warm-up has already done for its own.
    if (!cold) await DispatchAsync("warm-up", Math.Max(1, warmUp / endpointCount));
    Console.WriteLine(
        $"{deliveries / endpointCount * endpointCount} deliveries a round to {endpointCount} endpoints on a local receiver, {concurrency} in flight at most, " +
        $"{Environment.ProcessorCount} cores" + (cold ? ", the dispatcher cold" : ", both warmed up"));
    var ratios = new List<double>();
    for (var round = 1; round <= rounds; round++)
    {
        var baseline = await PlainLoopAsync(deliveries);
        var (total, elapsed) = await DispatchAsync($"bench-{round}", deliveries / endpointCount);
        var dispatched = total / elapsed.TotalSeconds;
        ratios.Add(dispatched / baseline);
        Console.WriteLine($"round {round}: plain HttpClient loop {baseline,7:0} requests/s, isv-webhook dispatcher {dispatched,7:0} deliveries/s " +
            $"(claimed from PostgreSQL, signed, sent through the per-endpoint pipeline, attempt recorded): ratio {dispatched / baseline:0.00}");
    }
    Console.WriteLine($"ratio dispatcher / plain loop, median of {rounds}: {ratios.Order().ElementAt(rounds / 2):0.00}");
}
finally
{
    await host.StopAsync();
    NpgsqlConnection.ClearAllPools();
    await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres) { Database = "postgres" }.ConnectionString);
    await connection.OpenAsync();
    await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{new NpgsqlConnectionStringBuilder(postgres).Database}\" WITH (FORCE)", connection);
    await drop.ExecuteNonQueryAsync();
    await receiver.DisposeAsync();
}
