// Rule evaluations per second on one core: the in-memory campaign cache (what campaign-rules does per scan)
// against the same evaluation reading the target's campaigns from PostgreSQL per scan, in the same run.
//   dotnet run -c Release --project tools/RulesBenchmark [-- --campaigns 2000 --seconds 5]
// PostgreSQL: ARFLEET_POSTGRES (./arfleet up's server by default); a scratch database is created and dropped.
using System.Diagnostics;
using System.Text.Json;
using ArFleet.CampaignRules;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

var campaignCount = Argument("--campaigns", 2000);
var seconds = Argument("--seconds", 5);
var server = Environment.GetEnvironmentVariable("ARFLEET_POSTGRES") ?? "Host=127.0.0.1;Port=16432;Username=postgres";
var database = $"arfleet_rules_bench_{Guid.NewGuid():N}"[..40];
var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;

await new DatabaseMigrator(connectionString, typeof(CampaignStore).Assembly, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(default);
await using var db = new NpgsqlDataSourceBuilder(connectionString).Build();
try
{
    var store = new CampaignStore(db);
    var tenants = new TenantStore(db, Microsoft.Extensions.Options.Options.Create(new TenantOptions()));
    var targets = new TargetStore(db);
    var (brand, _) = await tenants.CreateAsync("bench brand", TenantKinds.Brand, default);
    var targetIds = new Guid[campaignCount / 2];
    await using (var seed = await db.OpenConnectionAsync())
    await using (var transaction = await seed.BeginTransactionAsync())
    {
        for (var i = 0; i < targetIds.Length; i++)
        {
            targetIds[i] = Guid.CreateVersion7();
            await targets.CreateAsync(transaction, targetIds[i], brand, $"t{i}", default);
        }
        await transaction.CommitAsync();
    }
    foreach (var targetId in targetIds) await targets.SetGradeAsync(targetId, TargetStatus.Active, 4, null, null, default);
    var now = DateTimeOffset.UtcNow;
    var random = new Random(1);
    await using (var seed = await db.OpenConnectionAsync())
    await using (var transaction = await seed.BeginTransactionAsync())
    {
        for (var i = 0; i < campaignCount; i++)
            await store.CreateAsync(transaction, new Campaign(Guid.CreateVersion7(), brand, $"c{i}", CampaignStatus.Active,
                [targetIds[random.Next(targetIds.Length)]],
                now.AddHours(-1), now.AddDays(1), random.Next(3), new RewardSpec(RewardTypes.Voucher, 1000, 500, "CNY", 30, null, null),
                new LimitsSpec(1, 0, 1), i % 2 == 0 ? new GeoFence(31.23, 121.47, 5000) : null, new ActionSpec("h5", "https://x.example", null, null),
                now, 0.5), default);
        await transaction.CommitAsync();
    }

    var cache = new CampaignCache(store);
    await cache.LoadAllAsync(default);
    var location = new GeoPoint(31.231, 121.471);

    var cached = await Measure(seconds, (scanId, targetId) =>
        Task.FromResult(RuleEvaluator.Evaluate(cache.ForTarget(targetId), new ScanFacts(scanId, now, location), "bench")));
    var perScanQuery = await Measure(seconds, async (scanId, targetId) =>
        RuleEvaluator.Evaluate(await QueryAsync(db, brand, targetId), new ScanFacts(scanId, now, location), "bench"));

    Console.WriteLine(JsonSerializer.Serialize(new
    {
        campaigns = campaignCount,
        targets = targetIds.Length,
        cachedEvaluationsPerSecond = Math.Round(cached),
        baselineQueryPerScanEvaluationsPerSecond = Math.Round(perScanQuery),
        ratio = Math.Round(cached / perScanQuery, 1),
    }, new JsonSerializerOptions { WriteIndented = true }));

    async Task<double> Measure(int duration, Func<Guid, Guid, Task<RuleDecision>> evaluate)
    {
        var picker = new Random(7);
        for (var i = 0; i < 1000; i++) await evaluate(Guid.NewGuid(), targetIds[picker.Next(targetIds.Length)]); // warm up
        var clock = Stopwatch.StartNew();
        long count = 0;
        while (clock.Elapsed.TotalSeconds < duration)
        {
            for (var i = 0; i < 100; i++) await evaluate(Guid.NewGuid(), targetIds[picker.Next(targetIds.Length)]);
            count += 100;
        }
        return count / clock.Elapsed.TotalSeconds;
    }
}
finally
{
    NpgsqlConnection.ClearAllPools();
    await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ConnectionString);
    await admin.OpenAsync();
    await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
    await drop.ExecuteNonQueryAsync();
}

// What rule evaluation did before the cache: the target's campaigns read from PostgreSQL for every scan, in one query.
static async Task<List<Campaign>> QueryAsync(NpgsqlDataSource db, Guid tenantId, Guid targetId)
{
    await using var command = db.CreateCommand(
        $"SELECT {CampaignStore.Columns} FROM campaigns c JOIN campaign_targets ct ON ct.campaign_id = c.id " +
        "WHERE ct.target_id = $1 AND c.tenant_id = $2 AND c.status = 'active'");
    command.Parameters.AddWithValue(targetId);
    command.Parameters.AddWithValue(tenantId);
    return await CampaignStore.ReadAllAsync(command, default);
}

int Argument(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1]) : fallback;
}
