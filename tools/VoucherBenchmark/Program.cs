// Issues per second through voucher-issuance's own issuing code against the local Redis (and PostgreSQL), each
// beside redis-benchmark running the same Lua issue script (EVAL) on the same server in the same run.
//   dotnet run -c Release --project tools/VoucherBenchmark [-- --requests N]
using System.Diagnostics;
using System.Globalization;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using ArFleet.Testing;
using ArFleet.VoucherIssuance;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

const int redisDatabase = 12; // the tests use 1 and 11
var requests = args.Length == 2 && args[0] == "--requests" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
var redisAddress = Environment.GetEnvironmentVariable("ARFLEET_REDIS") ?? "127.0.0.1:16379";
var postgresAddress = Environment.GetEnvironmentVariable("ARFLEET_POSTGRES") ?? "Host=127.0.0.1;Port=16432;Username=postgres";

var redisOptions = ConfigurationOptions.Parse(redisAddress);
redisOptions.DefaultDatabase = redisDatabase;
redisOptions.AllowAdmin = true;
redisOptions.SyncTimeout = 60_000; // flushing the run's keys takes longer than the default 5 s on a busy machine
await using var redis = await ConnectionMultiplexer.ConnectAsync(redisOptions);
var server = redis.GetServers()[0];
var (redisHost, redisPort) = redis.GetEndPoints()[0] switch
{
    System.Net.IPEndPoint ip => (ip.Address.ToString(), ip.Port),
    System.Net.DnsEndPoint dns => (dns.Host, dns.Port),
    var other => throw new InvalidOperationException($"Unsupported Redis endpoint {other}"),
};
var database = $"arfleet_voucher_benchmark_{Environment.ProcessId}";
var postgres = new NpgsqlConnectionStringBuilder(postgresAddress) { Database = database, MaxPoolSize = 64 }.ConnectionString;
await new DatabaseMigrator(postgres, typeof(VoucherIssuer).Assembly, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(default);
await using var dataSource = NpgsqlDataSource.Create(postgres);
var gate = new RedisBudgetGate(redis);
var ledger = new VoucherLedger(dataSource);
var app = Guid.NewGuid(); // every request from one app, whose users' limits count

Console.WriteLine($"Redis {redisAddress} (database {redisDatabase}), {Environment.ProcessorCount} cores, {requests:N0} requests per Redis measurement");
Console.WriteLine($"{"what",-58} {"per second",12} {"ratio",8}");
try
{
    foreach (var buckets in new[] { 1, 8 })
    {
        var baseline = RedisBenchmark(requests);
        Print($"redis-benchmark EVAL of the issue script (50 clients)", baseline, null);
        Print($"gate: Redis issue script via RedisBudgetGate, {buckets} bucket(s)", await GateRateAsync(buckets, requests), baseline);
        Print($"issuer: exhausted flood answered in Redis, {buckets} bucket(s)", await ExhaustedFloodRateAsync(buckets, requests), baseline);
        await IssueRateAsync(buckets, requests / 40); // warm-up: the issuer's code compiled (tiered JIT), the pools open
        await AnalyzeAsync();
        var cpuBefore = await CpuAsync();
        Print($"issuer: vouchers issued (Redis + ledger), {buckets} bucket(s)", await IssueRateAsync(buckets, requests / 20), baseline);
        PrintCpuPerVoucher(cpuBefore, await CpuAsync(), requests / 20);
        await server.FlushDatabaseAsync(redisDatabase);
    }
}
finally
{
    await server.FlushDatabaseAsync(redisDatabase);
    await dataSource.DisposeAsync();
    NpgsqlConnection.ClearAllPools();
    await using var maintenance = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgresAddress) { Database = "postgres",
        Pooling = false }.ConnectionString);
    await maintenance.OpenAsync();
    await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", maintenance);
    await drop.ExecuteNonQueryAsync();
}

// Statistics as autovacuum keeps them on a ledger in service (its first ANALYZE comes a minute or so after the first
// vouchers): this database is new, so they still say the tables are empty, and the plans prepared on them read all of
// vouchers for each batch's lookup by scan id. ANALYZE also sends the prepared plans to be made again.
async Task AnalyzeAsync()
{
    await using var analyze = dataSource.CreateCommand("ANALYZE vouchers, voucher_buckets");
    await analyze.ExecuteNonQueryAsync();
}

VoucherIssuer Issuer(int buckets)
{
    var options = Options.Create(new VoucherOptions { Buckets = buckets });
    return new VoucherIssuer(gate, ledger, new GroupCommit(ledger, options, NullLogger<GroupCommit>.Instance), TimeProvider.System, options);
}

// CPU milliseconds so far: this process (the issuer), the PostgreSQL backends of this run's database, the Redis server.
async Task<(double Issuer, Dictionary<int, double> Postgres, double Redis)> CpuAsync()
{
    await using var command = dataSource.CreateCommand("SELECT pid FROM pg_stat_activity WHERE datname = current_database()");
    var backends = new Dictionary<int, double>();
    await using (var reader = await command.ExecuteReaderAsync())
        while (await reader.ReadAsync()) backends[reader.GetInt32(0)] = ProcessCpu.TreeMilliseconds(reader.GetInt32(0));
    var redisPid = ProcessCpu.ListenerOf(redisPort);
    return (ProcessCpu.TreeMilliseconds(Environment.ProcessId), backends, redisPid is { } pid ? ProcessCpu.TreeMilliseconds(pid) : double.NaN);
}

// What the ledger's rate is bound by on this machine: every process's CPU per voucher, on the same cores.
static void PrintCpuPerVoucher((double Issuer, Dictionary<int, double> Postgres, double Redis) before,
    (double Issuer, Dictionary<int, double> Postgres, double Redis) after, int vouchers)
{
    double PerVoucher(double ms) => ms * 1000 / vouchers;
    var issuer = PerVoucher(after.Issuer - before.Issuer);
    var postgres = PerVoucher(after.Postgres.Sum(b => b.Value - before.Postgres.GetValueOrDefault(b.Key)));
    var redis = PerVoucher(after.Redis - before.Redis);
    var all = issuer + postgres + redis;
    Console.WriteLine($"  CPU per voucher: issuer {issuer:N0} µs, PostgreSQL {postgres:N0} µs, Redis {redis:N0} µs (a shared server); " +
        $"{all:N0} µs in all, so at most {Environment.ProcessorCount * 1e6 / all:N0}/s on {Environment.ProcessorCount} cores");
}

static void Print(string what, double rate, double? baseline) =>
    Console.WriteLine($"{what,-58} {rate,12:N0} {(baseline is { } b ? $"{rate / b:0.00}" : "1.00"),8}");

// redis-benchmark runs the same script on a seeded bucket with unlimited stock and no limits: every call issues
// (decrements stock, counts user, device and day, stores the scan's verdict), as the service's calls below do.
double RedisBenchmark(int count)
{
    var db = redis.GetDatabase();
    const string bucket = "vouchers:{redis-benchmark:0}";
    db.StringSet($"{bucket}:seeded", "new");
    db.StringSet($"{bucket}:stock", long.MaxValue / 2);
    var start = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var arg in new[] { "-h", redisHost, "-p", redisPort.ToString(CultureInfo.InvariantCulture),
                 "--dbnum", redisDatabase.ToString(CultureInfo.InvariantCulture),
                 "-n", count.ToString(CultureInfo.InvariantCulture), "-c", "50", "-r", "1000000000", "--csv", "EVAL", RedisBudgetGate.IssueScript, "7",
                 $"{bucket}:scan:__rand_int__", $"{bucket}:stock", $"{bucket}:user:__rand_int__", $"{bucket}:device:__rand_int__",
                 $"{bucket}:user-day:__rand_int__", $"{bucket}:seeded", $"{bucket}:exhausted", "0", "0", "0", "BENCHMARKCODE", "3600", "3600" })
        start.ArgumentList.Add(arg);
    using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-benchmark did not start (Debian package redis-tools).");
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    var row = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last().Split("\",\"");
    return double.Parse(row[1], CultureInfo.InvariantCulture);
}

RewardRequested Request(Guid campaignId, Guid tenantId, int i, RewardTerms terms, RewardLimits limits) =>
    new(Guid.NewGuid(), tenantId, app, campaignId, $"user-{i}", $"device-{i}", terms, limits,
        new RecognizedTarget(Guid.NewGuid(), 0.9, []), null, DateTimeOffset.UtcNow);

// Runs count calls with `inFlight` of them outstanding at a time (like a consumer's prefetch); returns calls per second.
static async Task<double> RateAsync(int count, int inFlight, Func<int, Task> call)
{
    var next = -1;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
    {
        for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next)) await call(i);
    }));
    return count / watch.Elapsed.TotalSeconds;
}

// The Redis fast path alone: a seeded campaign with unlimited stock, so every call issues in Redis.
async Task<double> GateRateAsync(int buckets, int count)
{
    var layout = new BudgetLayout(Guid.NewGuid(), Guid.NewGuid(), int.MaxValue, null, buckets);
    for (var b = 0; b < buckets; b++) await gate.SeedAsync(layout.CampaignId, b, long.MaxValue / 2, exhausted: false, rebuilt: false);
    var terms = new RewardTerms(int.MaxValue, 500, "CNY", 30);
    var now = DateTimeOffset.UtcNow;
    return await RateAsync(count, 256, async i =>
    {
        var request = Request(layout.CampaignId, layout.TenantId, i, terms, new RewardLimits(0, 0, 0));
        if (await gate.TryIssueAsync(layout, layout.HomeBucket(request), request, "BENCHMARKCODE", now) is not RedisBudgetGate.Verdict.Issue)
            throw new InvalidOperationException("The gate did not issue.");
    });
}

// The festival's bulk: after the budget is gone, everyone else is answered by the whole issuer without PostgreSQL.
async Task<double> ExhaustedFloodRateAsync(int buckets, int count)
{
    var issuer = Issuer(buckets);
    var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
    var terms = new RewardTerms(buckets, 500, "CNY", 30);
    for (var i = 0; i < buckets * 4; i++) await issuer.IssueAsync(Request(campaignId, tenantId, -i - 1, terms, new RewardLimits(1, 0, 0)), default);
    return await RateAsync(count, 256, async i =>
    {
        if (await issuer.IssueAsync(Request(campaignId, tenantId, i, terms, new RewardLimits(1, 0, 0)), default) is not VoucherIssuer.Outcome.Denied)
            throw new InvalidOperationException("An exhausted campaign issued.");
    });
}

// Every call issues a voucher: Redis reserves, the ledger records it (group commit: the reservations that arrive while
// a batch commits go into the next one).
async Task<double> IssueRateAsync(int buckets, int count)
{
    var issuer = Issuer(buckets);
    var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
    var terms = new RewardTerms(count, 500, "CNY", 30);
    return await RateAsync(count, 48, async i =>
    {
        if (await issuer.IssueAsync(Request(campaignId, tenantId, i, terms, new RewardLimits(1, 0, 0)), default) is not VoucherIssuer.Outcome.Issued)
            throw new InvalidOperationException("A voucher within budget was denied.");
    });
}
