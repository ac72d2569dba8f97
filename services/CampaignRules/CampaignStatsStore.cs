using System.Text.Json;
using ArFleet.Contracts;
using Npgsql;

namespace ArFleet.CampaignRules;

/// <summary>What became of the scans each campaign applied to: totals per outcome and scans per minute, for the
/// brand's dashboard.</summary>
public sealed class CampaignStatsStore(NpgsqlDataSource db)
{
    public record Minute(DateTimeOffset At, long Scans, long Rewarded);

    public record Stats(long Scans, Dictionary<string, long> Outcomes, List<Minute> PerMinute);

    /// <summary>The outcome as the API names it (camelCase).</summary>
    public static string OutcomeName(ScanOutcome outcome) => JsonNamingPolicy.CamelCase.ConvertName(outcome.ToString());

    public async Task RecordAsync(ScanResolved scan, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO campaign_scan_outcomes (scan_id, campaign_id, outcome, resolved_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue(scan.ScanId);
        command.Parameters.AddWithValue(scan.CampaignId!.Value);
        command.Parameters.AddWithValue(OutcomeName(scan.Outcome));
        command.Parameters.AddWithValue(scan.OccurredAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Totals since the campaign began, and the last <paramref name="minutes"/> whole minutes up to
    /// <paramref name="now"/>'s minute, oldest first, quiet minutes included.</summary>
    public async Task<Stats> GetAsync(Guid campaignId, int minutes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcomes = new Dictionary<string, long>();
        await using (var command = db.CreateCommand(
            "SELECT outcome, count(*) FROM campaign_scan_outcomes WHERE campaign_id = $1 GROUP BY outcome"))
        {
            command.Parameters.AddWithValue(campaignId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) outcomes[reader.GetString(0)] = reader.GetInt64(1);
        }

        var last = new DateTimeOffset(now.UtcDateTime.Ticks - now.UtcDateTime.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var first = last.AddMinutes(-(minutes - 1));
        var counted = new Dictionary<DateTimeOffset, (long Scans, long Rewarded)>();
        await using (var command = db.CreateCommand(
            "SELECT date_trunc('minute', resolved_at), count(*), count(*) FILTER (WHERE outcome = 'rewarded') " +
            "FROM campaign_scan_outcomes WHERE campaign_id = $1 AND resolved_at >= $2 AND resolved_at < $3 GROUP BY 1"))
        {
            command.Parameters.AddWithValue(campaignId);
            command.Parameters.AddWithValue(first);
            command.Parameters.AddWithValue(last.AddMinutes(1));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                counted[reader.GetFieldValue<DateTimeOffset>(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }
        var perMinute = Enumerable.Range(0, minutes).Select(i => first.AddMinutes(i))
            .Select(at => counted.TryGetValue(at, out var c) ? new Minute(at, c.Scans, c.Rewarded) : new Minute(at, 0, 0)).ToList();
        return new Stats(outcomes.Values.Sum(), outcomes, perMinute);
    }
}
