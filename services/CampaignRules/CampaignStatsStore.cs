using System.Text.Json;
using ArFleet.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace ArFleet.CampaignRules;

/// <summary>What became of the scans each campaign applied to: totals per outcome and scans per minute, for the
/// brand's dashboard.</summary>
public sealed class CampaignStatsStore(NpgsqlDataSource db)
{
    public record Minute(DateTimeOffset At, long Scans, long Rewarded);

    public record Stats(long Scans, Dictionary<string, long> Outcomes, List<Minute> PerMinute);

    /// <summary>The campaign's scans that recognition suspected of being a recapture or a duplicate image (as its policy shows
    /// them: an ignored signal is not counted), and those its policy refused for either.</summary>
    public record FraudCounts(long SuspectedRecapture, long DuplicateImage, long Refused);

    /// <summary>The outcome as the API names it (camelCase).</summary>
    public static string OutcomeName(ScanOutcome outcome) => JsonNamingPolicy.CamelCase.ConvertName(outcome.ToString());

    /// <summary>Counts the scan's result once; false when it was counted before (a redelivery).</summary>
    public async Task<bool> RecordAsync(ScanResolved scan, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO campaign_scan_outcomes (scan_id, campaign_id, outcome, resolved_at, fraud_reasons) VALUES ($1, $2, $3, $4, $5) " +
            "ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue(scan.ScanId);
        command.Parameters.AddWithValue(scan.CampaignId!.Value);
        command.Parameters.AddWithValue(OutcomeName(scan.Outcome));
        command.Parameters.AddWithValue(scan.OccurredAt);
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
            Value = scan.Fraud is { Reasons.Length: > 0 } fraud ? fraud.Reasons : DBNull.Value,
        });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<FraudCounts> FraudCountsAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT count(*) FILTER (WHERE $2 = ANY(fraud_reasons)), count(*) FILTER (WHERE $3 = ANY(fraud_reasons)), " +
            "count(*) FILTER (WHERE outcome = ANY($4)) FROM campaign_scan_outcomes WHERE campaign_id = $1");
        command.Parameters.AddWithValue(campaignId);
        command.Parameters.AddWithValue(FraudSignals.Recapture);
        command.Parameters.AddWithValue(FraudSignals.DuplicateImage);
        command.Parameters.AddWithValue(new[] { OutcomeName(ScanOutcome.SuspectedRecapture), OutcomeName(ScanOutcome.DuplicateImage) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new FraudCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
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
