using Npgsql;

namespace ArFleet.IsvWebhook;

public record ClaimedDelivery(Guid DeliveryId, Guid EndpointId, string Url, string Secret, string Body, string? TraceParent, int Attempts);

/// <summary>The durable delivery queue in PostgreSQL. Several instances share it: rows are claimed with
/// FOR UPDATE SKIP LOCKED and leased, so a crashed instance's claims come back after the lease.</summary>
public sealed class DeliveryQueue(NpgsqlDataSource db)
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    public static string WebhookId(Guid deliveryId) => $"msg_{deliveryId:N}";

    /// <summary>One delivery per subscribed, enabled endpoint of the tenant; an event seen again adds nothing.</summary>
    public async Task<int> EnqueueAsync(Guid tenantId, string eventType, string eventId, string body, string? traceParent, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO deliveries (id, endpoint_id, event_id, event_type, body, trace_parent, next_attempt_at) " +
            "SELECT gen_random_uuid(), e.id, $2, $3, $4, $5, now() FROM endpoints e " +
            "WHERE e.tenant_id = $1 AND e.disabled_at IS NULL AND $3 = ANY (e.event_types) " +
            "ON CONFLICT (endpoint_id, event_id) DO NOTHING");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(eventId);
        command.Parameters.AddWithValue(eventType);
        command.Parameters.AddWithValue(body);
        command.Parameters.AddWithValue((object?)traceParent ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<List<ClaimedDelivery>> ClaimDueAsync(int max, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE deliveries d SET locked_until = now() + $2 FROM endpoints e, " +
            "(SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now()) " +
            " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due " +
            "WHERE d.id = due.id AND e.id = d.endpoint_id " +
            "RETURNING d.id, d.endpoint_id, e.url, e.secret, d.body, d.trace_parent, d.attempts");
        command.Parameters.AddWithValue(max);
        command.Parameters.AddWithValue(Lease);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        while (await reader.ReadAsync(cancellationToken))
            claimed.Add(new ClaimedDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetInt32(6)));
        return claimed;
    }

    /// <summary>Records an attempt. <paramref name="nextAttemptAt"/> null with a failure means no more retries.</summary>
    public async Task RecordAttemptAsync(Guid deliveryId, DateTimeOffset at, int? statusCode, string? error, int durationMs,
        bool succeeded, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken)
    {
        var status = succeeded ? Succeeded : nextAttemptAt is null ? Failed : Pending;
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)")
        {
            Parameters = { new() { Value = deliveryId }, new() { Value = at }, new() { Value = (object?)statusCode ?? DBNull.Value },
                new() { Value = (object?)error ?? DBNull.Value }, new() { Value = durationMs } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "UPDATE deliveries SET status = $2, attempts = attempts + 1, last_status_code = $3, last_error = $4, next_attempt_at = $5, locked_until = NULL WHERE id = $1")
        {
            Parameters = { new() { Value = deliveryId }, new() { Value = status }, new() { Value = (object?)statusCode ?? DBNull.Value },
                new() { Value = (object?)error ?? DBNull.Value }, new() { Value = (object?)nextAttemptAt ?? DBNull.Value } },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>An endpoint answering 410 Gone asked to stop: disable it and fail what it still had pending.</summary>
    public async Task DisableEndpointAsync(Guid endpointId, string reason, CancellationToken cancellationToken)
    {
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE endpoints SET disabled_at = now(), disabled_reason = $2 WHERE id = $1 AND disabled_at IS NULL")
        {
            Parameters = { new() { Value = endpointId }, new() { Value = reason } },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE deliveries SET status = 'failed', locked_until = NULL WHERE endpoint_id = $1 AND status = 'pending'")
        {
            Parameters = { new() { Value = endpointId } },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Sends failed deliveries created since <paramref name="since"/> again, with a fresh retry schedule.</summary>
    public async Task<int> ReplayAsync(Guid endpointId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL " +
            "WHERE endpoint_id = $1 AND status = 'failed' AND created_at >= $2");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(since);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
