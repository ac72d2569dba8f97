using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ArFleet.ServiceDefaults;

public static class Postgres
{
    /// <summary>An NpgsqlDataSource for the service's own database (ConnectionStrings:postgres), created if
    /// missing and brought up to date with the SQL files embedded under Migrations/ in <paramref name="migrations"/>
    /// before any hosted service starts (the bus's consumers included), wherever this is called.</summary>
    public static IHostApplicationBuilder AddArFleetPostgres(this IHostApplicationBuilder builder, Assembly migrations)
    {
        var connectionString = builder.Configuration.GetConnectionString("postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:postgres is not configured.");
        // Commands are traced inside a request's or a message's trace; background polls alone would be a trace each.
        builder.Services.AddSingleton(_ => PooledWithoutReset(new NpgsqlDataSourceBuilder(connectionString))
            .ConfigureTracing(t => t.ConfigureCommandFilter(_ => Activity.Current is not null).ConfigureBatchFilter(_ => Activity.Current is not null))
            .Build());
        builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddNpgsql());
        builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddNpgsqlInstrumentation());
        // First of all hosted services, so it is also the first whose Starting phase runs (a cache loaded then finds its tables).
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => new DatabaseMigrator(
            connectionString, migrations, sp.GetRequiredService<ILogger<DatabaseMigrator>>())));
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }

    /// <summary>Nothing the services leave on a connection outlives its transaction (SET LOCAL, transaction advisory locks),
    /// so a pooled connection is not reset on reuse: the reset cost the server a DISCARD ALL, or seven statements on a
    /// connection with prepared statements, each time a connection went back to the pool (once or twice a message).</summary>
    private static NpgsqlDataSourceBuilder PooledWithoutReset(NpgsqlDataSourceBuilder builder)
    {
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        return builder;
    }

    private sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not answer", e);
            }
        }
    }
}

/// <summary>Applies embedded Migrations/NNN_name.sql files once each, in name order, under an advisory
/// lock so that several instances starting together do not race. It runs in the host's Starting phase, which completes
/// for every hosted service before any of them starts, and is registered first: the schema exists before anything reads it.</summary>
public sealed class DatabaseMigrator(string connectionString, Assembly migrations, ILogger<DatabaseMigrator> logger) : IHostedLifecycleService
{
    private const long AdvisoryLockKey = 0x4172466c656574; // "ArFleet"

    private bool migrated;

    public Task StartingAsync(CancellationToken cancellationToken) => MigrateAsync(cancellationToken);

    /// <summary>Creates the database if missing and applies what it lacks; once per migrator.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        if (migrated) return;
        await CreateDatabaseIfMissing(cancellationToken);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                cancellationToken);
            var applied = new HashSet<string>();
            await using (var read = new NpgsqlCommand("SELECT name FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetString(0));

            foreach (var resource in migrations.GetManifestResourceNames().Where(n => n.EndsWith(".sql", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal))
            {
                var name = resource[(resource.IndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
                if (applied.Contains(name)) continue;
                await using var stream = migrations.GetManifestResourceStream(resource)!;
                var sql = await new StreamReader(stream).ReadToEndAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(sql, connection, transaction)) await apply.ExecuteNonQueryAsync(cancellationToken);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (name) VALUES ($1)", connection, transaction))
                {
                    record.Parameters.AddWithValue(name);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Migration}", name);
            }
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
        migrated = true;
    }

    public Task StartAsync(CancellationToken cancellationToken) => MigrateAsync(cancellationToken); // done by then, unless run by hand
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task CreateDatabaseIfMissing(CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.AddWithValue(target.Database!);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null) return;
        try
        {
            await Execute(connection, $"CREATE DATABASE \"{target.Database!.Replace("\"", "\"\"")}\"", cancellationToken);
            logger.LogInformation("Created database {Database}", target.Database);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // another instance created it first
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
