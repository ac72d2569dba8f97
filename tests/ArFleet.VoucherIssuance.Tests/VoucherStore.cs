using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using ArFleet.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace ArFleet.VoucherIssuance.Tests;

/// <summary>voucher-issuance's issuing code against the real Redis and PostgreSQL, without RabbitMQ: a PostgreSQL
/// database of its own (migrated by the service's own migrator, dropped afterwards) and a Redis database index
/// of its own, which the flush test empties.</summary>
public sealed class VoucherStore : IAsyncLifetime
{
    /// <summary>Fleet uses database 1; this one is ours.</summary>
    public const int RedisDatabase = 11;

    private Infrastructure infrastructure = null!;
    private string database = $"arfleet_voucher_tests_{Guid.NewGuid():N}";
    public ConnectionMultiplexer Redis { get; private set; } = null!;
    public NpgsqlDataSource Postgres { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        infrastructure = await Infrastructure.StartAsync();
        var options = ConfigurationOptions.Parse(infrastructure.Redis);
        options.DefaultDatabase = RedisDatabase;
        options.AllowAdmin = true; // FLUSHDB
        // 20,000 scripts in flight at once queue up behind each other on a loaded 2-core machine: allow them the time
        // (the PostgreSQL side below likewise), so the test measures correctness, not the machine's speed.
        options.AsyncTimeout = 30_000;
        Redis = await ConnectionMultiplexer.ConnectAsync(options);
        var connectionString = new NpgsqlConnectionStringBuilder(infrastructure.Postgres) { Database = database, MaxPoolSize = 40,
            Timeout = 60 }.ConnectionString;
        await new DatabaseMigrator(connectionString, typeof(VoucherIssuer).Assembly, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(default);
        Postgres = NpgsqlDataSource.Create(connectionString);
    }

    public VoucherLedger Ledger => new(Postgres);
    public RedisBudgetGate Gate => new(Redis);

    public VoucherIssuer Issuer(int buckets, TimeProvider? clock = null)
    {
        var options = Options.Create(new VoucherOptions { Buckets = buckets });
        return new(Gate, Ledger, GroupCommit(options), clock ?? TimeProvider.System, options);
    }

    public GroupCommit GroupCommit(IOptions<VoucherOptions> options) => new(Ledger, options, NullLogger<GroupCommit>.Instance);

    public Reconciliation Reconciliation => new(Ledger, Gate);

    public async Task<long> ScalarAsync(string sql, params object[] values)
    {
        await using var command = Postgres.CreateCommand(sql);
        foreach (var value in values) command.Parameters.AddWithValue(value);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    /// <summary>The app that scans unless a test names another: limits count per app.</summary>
    public static readonly Guid App = Guid.Parse("a0000000-0000-0000-0000-00000000a990");

    public static RewardRequested Request(Guid campaignId, Guid tenantId, string userId, RewardTerms terms, RewardLimits limits, Guid? scanId = null,
        string? deviceId = null, Guid? appTenantId = null) =>
        new(scanId ?? Guid.NewGuid(), tenantId, appTenantId ?? App, campaignId, userId, deviceId ?? $"device-of-{userId}", terms, limits,
            new RecognizedTarget(Guid.NewGuid(), 0.9, []), null, DateTimeOffset.UtcNow);

    public async Task DisposeAsync()
    {
        await Postgres.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(infrastructure.Postgres) { Database = "postgres",
            Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        await Redis.DisposeAsync();
        await infrastructure.DisposeAsync();
    }
}

[CollectionDefinition("vouchers")]
public sealed class VoucherStoreCollection : ICollectionFixture<VoucherStore>;
