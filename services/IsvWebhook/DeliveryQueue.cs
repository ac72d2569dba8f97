using System.Text.Json;
using ArFleet.ServiceDefaults;
using Npgsql;
using static ArFleet.IsvWebhook.DeliveryStatus;

namespace ArFleet.IsvWebhook;

/// <summary>A claimed delivery; where it goes and how it is signed come from the endpoint (EndpointStore.TargetsAsync).</summary>
public record ClaimedDelivery(Guid DeliveryId, Guid EndpointId, string Body, string? TraceParent, int Attempts);

/// <summary>A delivery as its endpoint's owner sees it in the delivery log.</summary>
public record DeliveryView(
    Guid DeliveryId, string WebhookId, string EventType, string Status, int Attempts, int? LastStatusCode, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, AttemptView[] AttemptLog);

public record AttemptView(DateTimeOffset At, int? StatusCode, string? Error, int DurationMs);

/// <summary>The durable delivery queue in PostgreSQL (the deliveries and delivery_attempts tables). Several instances
/// share it: rows are claimed with FOR UPDATE SKIP LOCKED and leased, so a crashed instance's claims come back after
/// the lease. Deleting an endpoint deletes its deliveries with it (the foreign key cascades).</summary>
public sealed class DeliveryQueue(NpgsqlDataSource db)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    public static string WebhookId(Guid deliveryId) => $"msg_{deliveryId:N}";

    /// <summary>One delivery of the event per endpoint; an event an endpoint has already had adds nothing there.
    /// Returns the deliveries added.</summary>
    public async Task<List<Guid>> EnqueueAsync(Guid[] endpointIds, string eventType, string eventId, string body, string? traceParent,
        CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        const string sql = "INSERT INTO deliveries (id, endpoint_id, event_id, event_type, body, trace_parent, next_attempt_at) " +
            "SELECT gen_random_uuid(), endpoint_id, $2, $3, $4, $5, now() FROM unnest($1::uuid[]) AS endpoint_id " +
            "ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id";
        await using var command = Command(sql, transaction);
        command.Parameters.AddWithValue(endpointIds);
        command.Parameters.AddWithValue(eventId);
        command.Parameters.AddWithValue(eventType);
        command.Parameters.AddWithValue(body);
        command.Parameters.AddWithValue((object?)traceParent ?? DBNull.Value);
        var added = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) added.Add(reader.GetGuid(0));
        return added;
    }

    /// <summary>Claims up to <paramref name="max"/> due deliveries, at most <paramref name="perEndpoint"/> of any one
    /// endpoint and none of <paramref name="skipEndpoints"/>, so one endpoint's backlog cannot crowd out the others.</summary>
    public async Task<List<ClaimedDelivery>> ClaimDueAsync(int max, int perEndpoint, Guid[] skipEndpoints, CancellationToken cancellationToken)
    {
        const string due = $"status = '{Pending}' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())";
        await using var command = db.CreateCommand(
            "UPDATE deliveries d SET locked_until = now() + $2 FROM " +
            // Only the head of the due queue is ranked per endpoint, so a claim costs the same whatever the backlog.
            $"(SELECT id FROM deliveries WHERE {due} AND id IN (" +
            $"   SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at) AS n FROM (" +
            $"     SELECT id, endpoint_id, next_attempt_at FROM deliveries WHERE {due} AND NOT (endpoint_id = ANY ($3)) " +
            $"     ORDER BY next_attempt_at LIMIT $1 * 8) head) ranked WHERE n <= $4) " +
            " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) claimable " +
            "WHERE d.id = claimable.id RETURNING d.id, d.endpoint_id, d.body, d.trace_parent, d.attempts");
        command.Parameters.AddWithValue(max);
        command.Parameters.AddWithValue(Lease);
        command.Parameters.AddWithValue(skipEndpoints);
        command.Parameters.AddWithValue(perEndpoint);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        while (await reader.ReadAsync(cancellationToken))
            claimed.Add(new ClaimedDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4)));
        return claimed;
    }

    /// <summary>Records an attempt. <paramref name="nextAttemptAt"/> null with a failure means no more retries. A delivery
    /// deleted meanwhile (with its endpoint) records nothing.</summary>
    public async Task RecordAttemptAsync(Guid deliveryId, DateTimeOffset at, int? statusCode, string? error, int durationMs, bool succeeded,
        DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken)
    {
        var status = succeeded ? Succeeded : nextAttemptAt is null ? Failed : Pending;
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, error, duration_ms) " +
            "SELECT id, $2, $3, $4, $5 FROM deliveries WHERE id = $1")
        {
            Parameters = { new() { Value = deliveryId }, new() { Value = at }, new() { Value = (object?)statusCode ?? DBNull.Value },
                new() { Value = (object?)error ?? DBNull.Value }, new() { Value = durationMs } },
        });
        // A retry is not scheduled for an endpoint disabled while the attempt was in flight: the disabling failed the
        // delivery meanwhile (status reads the row as updated), or committed before this statement (the endpoint's row).
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "UPDATE deliveries SET attempts = attempts + 1, last_status_code = $3, last_error = $4, next_attempt_at = $5, " +
            $"locked_until = NULL, status = CASE WHEN $2 = '{Pending}' AND (status = '{Failed}' OR EXISTS (SELECT 1 FROM endpoints e " +
            $"WHERE e.id = deliveries.endpoint_id AND e.disabled_at IS NOT NULL)) THEN '{Failed}' ELSE $2 END WHERE id = $1")
        {
            Parameters = { new() { Value = deliveryId }, new() { Value = status }, new() { Value = (object?)statusCode ?? DBNull.Value },
                new() { Value = (object?)error ?? DBNull.Value }, new() { Value = (object?)nextAttemptAt ?? DBNull.Value } },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Puts a claimed delivery back without an attempt (its endpoint's limiter or circuit refused it for now).</summary>
    public async Task DeferAsync(Guid deliveryId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("UPDATE deliveries SET next_attempt_at = $2, locked_until = NULL WHERE id = $1");
        command.Parameters.AddWithValue(deliveryId);
        command.Parameters.AddWithValue(until);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Fails whatever the endpoint still had pending (it was disabled); replay sends them again.</summary>
    public async Task<int> FailPendingAsync(Guid endpointId, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var command = Command($"UPDATE deliveries SET status = '{Failed}', locked_until = NULL WHERE endpoint_id = $1 AND status = '{Pending}'",
            transaction);
        command.Parameters.AddWithValue(endpointId);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Sends failed deliveries created since <paramref name="since"/> again, with a fresh retry schedule.</summary>
    public async Task<int> ReplayAsync(Guid endpointId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            $"UPDATE deliveries SET status = '{Pending}', attempts = 0, next_attempt_at = now(), locked_until = NULL " +
            $"WHERE endpoint_id = $1 AND status = '{Failed}' AND created_at >= $2");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(since);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The endpoint's newest 500 deliveries, each with its attempt log.</summary>
    public async Task<List<DeliveryView>> DeliveriesAsync(Guid endpointId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT d.id, d.event_type, d.status, d.attempts, d.last_status_code, d.last_error, d.created_at, d.next_attempt_at, " +
            "COALESCE((SELECT json_agg(json_build_object('at', a.attempted_at, 'statusCode', a.status_code, 'error', a.error, " +
            "'durationMs', a.duration_ms) ORDER BY a.id) " +
            "FROM delivery_attempts a WHERE a.delivery_id = d.id), '[]')::text " +
            "FROM deliveries d WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC LIMIT 500");
        command.Parameters.AddWithValue(endpointId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deliveries = new List<DeliveryView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            var status = reader.GetString(2);
            deliveries.Add(new DeliveryView(id, WebhookId(id), reader.GetString(1), status, reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6), status == Pending && !reader.IsDBNull(7) ? reader.GetFieldValue<DateTimeOffset>(7) : null,
                JsonSerializer.Deserialize<AttemptView[]>(reader.GetString(8), ServiceDefaultsExtensions.ApiJson)!));
        }
        return deliveries;
    }

    /// <summary>Pending deliveries: those due now (or being sent), and those waiting for a later retry.</summary>
    public async Task<(long Due, long Scheduled)> BacklogAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT count(*) FILTER (WHERE next_attempt_at <= now()), count(*) FILTER (WHERE next_attempt_at > now()) " +
            $"FROM deliveries WHERE status = '{Pending}'");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private NpgsqlCommand Command(string sql, NpgsqlTransaction? transaction) =>
        transaction is null ? db.CreateCommand(sql) : new NpgsqlCommand(sql, transaction.Connection, transaction);
}
