using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.ServiceDefaults;

/// <summary>Degraded when the oldest event waiting in outbox_messages is older than OutboxOptions.DegradedAfter:
/// the relay cannot get events out (broker away, or a row it cannot publish). The service still accepts writes.</summary>
public sealed class OutboxBacklogHealthCheck(NpgsqlDataSource db, IOptions<OutboxOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = db.CreateCommand(
                "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at))::float8, 0) FROM outbox_messages");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var (pending, oldest) = (reader.GetInt64(0), TimeSpan.FromSeconds(reader.GetDouble(1)));
            var data = new Dictionary<string, object> { ["pending"] = pending, ["oldestSeconds"] = Math.Round(oldest.TotalSeconds, 1) };
            return oldest > options.Value.DegradedAfter
                ? HealthCheckResult.Degraded($"{pending} events wait to be published, the oldest for {oldest.TotalSeconds:0} s", data: data)
                : HealthCheckResult.Healthy($"{pending} events wait to be published", data);
        }
        catch (Exception e)
        {
            return HealthCheckResult.Degraded("The outbox backlog cannot be read", e);
        }
    }
}
