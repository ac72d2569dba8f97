using System.Diagnostics;
using ArFleet.Recognition;
using ArFleet.Recognition.Engine;
using ArFleet.ServiceDefaults;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.RecognitionEval;

/// <summary>How long a new worker takes to be ready: the accepted targets are stored with the service's own
/// store in a scratch database, then loaded into a fresh index with the service's own loader.</summary>
public static class StartupMeasurement
{
    public static async Task<double> SecondsToLoadAsync(string postgres, IReadOnlyList<IndexedTarget> targets, RecognitionOptions options)
    {
        var database = $"recognition_eval_{Guid.NewGuid():N}";
        var connectionString = new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString;
        await new DatabaseMigrator(connectionString, typeof(TargetFeatureStore).Assembly, NullLogger<DatabaseMigrator>.Instance)
            .MigrateAsync(CancellationToken.None);
        try
        {
            await using (var db = NpgsqlDataSource.Create(connectionString))
            {
                var store = new TargetFeatureStore(db);
                foreach (var target in targets) await store.SaveAsync(target, grade: 3, CancellationToken.None);
            }
            NpgsqlConnection.ClearAllPools();
            var clock = Stopwatch.StartNew();
            await using (var db = NpgsqlDataSource.Create(connectionString))
            {
                using var index = new TargetIndex(Options.Create(options));
                await new TargetIndexLoader(new TargetFeatureStore(db), index, NullLogger<TargetIndexLoader>.Instance).LoadAsync(CancellationToken.None);
                if (index.Count != targets.Count) throw new InvalidOperationException($"loaded {index.Count} of {targets.Count} targets");
            }
            return Math.Round(clock.Elapsed.TotalSeconds, 1);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres) { Database = "postgres" }.ConnectionString);
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
