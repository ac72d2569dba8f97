using ArFleet.Contracts;
using Npgsql;

namespace ArFleet.IsvWebhook;

/// <summary>A claimed delivery; <paramref name="Secrets"/> holds the current secret and, for 24 h after a rotation, the previous one.</summary>
public record ClaimedDelivery(Guid DeliveryId, Guid EndpointId, string Url, string[] Secrets, string Body, string? TraceParent, int Attempts);

/// <summary>The durable delivery queue in PostgreSQL. Several instances share it: rows are claimed with
/// FOR UPDATE SKIP LOCKED and leased, so a crashed instance's claims come back after the lease.</summary>
public sealed class DeliveryQueue(NpgsqlDataSource db)
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    public static string WebhookId(Guid deliveryId) => $"msg_{deliveryId:N}";

    /// <summary>One delivery per subscribed, enabled endpoint of the tenant and of the ISVs it granted access;
    /// an event seen again adds nothing.</summary>
    public async Task<int> EnqueueAsync(Guid tenantId, string eventType, string eventId, string body, string? traceParent, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO deliveries (id, endpoint_id, event_id, event_type, body, trace_parent, next_attempt_at) " +
            "SELECT gen_random_uuid(), e.id, $2, $3, $4, $5, now() FROM endpoints e " +
            "WHERE (e.tenant_id = $1 OR e.tenant_id IN (SELECT isv_tenant_id FROM isv_grants WHERE brand_tenant_id = $1 AND granted)) " +
            "AND e.disabled_at IS NULL AND $3 = ANY (e.event_types) " +
            "ON CONFLICT (endpoint_id, event_id) DO NOTHING");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(eventId);
        command.Parameters.AddWithValue(eventType);
        command.Parameters.AddWithValue(body);
        command.Parameters.AddWithValue((object?)traceParent ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RecordGrantAsync(IsvGrantChanged change, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO isv_grants (brand_tenant_id, isv_tenant_id, granted, changed_at) VALUES ($1, $2, $3, $4) " +
            "ON CONFLICT (brand_tenant_id, isv_tenant_id) DO UPDATE SET granted = EXCLUDED.granted, changed_at = EXCLUDED.changed_at " +
            "WHERE isv_grants.changed_at < EXCLUDED.changed_at");
        command.Parameters.AddWithValue(change.TenantId);
        command.Parameters.AddWithValue(change.IsvTenantId);
        command.Parameters.AddWithValue(change.Granted);
        command.Parameters.AddWithValue(change.OccurredAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Claims up to <paramref name="max"/> due deliveries, at most <paramref name="perEndpoint"/> of any one
    /// endpoint and none of <paramref name="skipEndpoints"/>, so one endpoint's backlog cannot crowd out the others.</summary>
    public async Task<List<ClaimedDelivery>> ClaimDueAsync(int max, int perEndpoint, Guid[] skipEndpoints, CancellationToken cancellationToken)
    {
        const string due = "status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())";
        await using var command = db.CreateCommand(
            "UPDATE deliveries d SET locked_until = now() + $2 FROM endpoints e, " +
            // Only the head of the due queue is ranked per endpoint, so a claim costs the same whatever the backlog.
            $"(SELECT id FROM deliveries WHERE {due} AND id IN (" +
            $"   SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at) AS n FROM (" +
            $"     SELECT id, endpoint_id, next_attempt_at FROM deliveries WHERE {due} AND NOT (endpoint_id = ANY ($3)) " +
            $"     ORDER BY next_attempt_at LIMIT $1 * 8) head) ranked WHERE n <= $4) " +
            " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) claimable " +
            "WHERE d.id = claimable.id AND e.id = d.endpoint_id " +
            "RETURNING d.id, d.endpoint_id, e.url, e.secret, CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END, " +
            "d.body, d.trace_parent, d.attempts");
        command.Parameters.AddWithValue(max);
        command.Parameters.AddWithValue(Lease);
        command.Parameters.AddWithValue(skipEndpoints);
        command.Parameters.AddWithValue(perEndpoint);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        while (await reader.ReadAsync(cancellationToken))
        {
            string[] secrets = reader.IsDBNull(4) ? [reader.GetString(3)] : [reader.GetString(3), reader.GetString(4)];
            claimed.Add(new ClaimedDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), secrets, reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7)));
        }
        return claimed;
    }

    /// <summary>Records an attempt and the endpoint's run of failures. <paramref name="nextAttemptAt"/> null with a
    /// failure means no more retries. Returns since when the endpoint has been failing without a success (null after one).</summary>
    public async Task<DateTimeOffset?> RecordAttemptAsync(Guid deliveryId, Guid endpointId, DateTimeOffset at, int? statusCode, string? error,
        int durationMs, bool succeeded, DateTimeOffset? nextAttemptAt, CancellationToken cancellationToken)
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
        batch.BatchCommands.Add(new NpgsqlBatchCommand(succeeded
            ? "UPDATE endpoints SET failing_since = NULL WHERE id = $1 RETURNING failing_since"
            : "UPDATE endpoints SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 RETURNING failing_since")
        {
            Parameters = { new() { Value = endpointId }, new() { Value = at } },
        });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            if (reader.FieldCount > 0 && await reader.ReadAsync(cancellationToken))
                return reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0);
        } while (await reader.NextResultAsync(cancellationToken));
        return null;
    }

    /// <summary>Puts a claimed delivery back without an attempt (its endpoint's limiter or circuit refused it for now).</summary>
    public async Task DeferAsync(Guid deliveryId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("UPDATE deliveries SET next_attempt_at = $2, locked_until = NULL WHERE id = $1");
        command.Parameters.AddWithValue(deliveryId);
        command.Parameters.AddWithValue(until);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Disables the endpoint, fails what it still had pending and tells the tenant's other enabled endpoints
    /// with an <c>endpoint.disabled</c> event. False when it was already disabled.</summary>
    public async Task<bool> DisableEndpointAsync(Guid endpointId, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Guid tenantId;
        string url;
        await using (var disable = new NpgsqlCommand(
            "UPDATE endpoints SET disabled_at = $3, disabled_reason = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING tenant_id, url", connection, transaction))
        {
            disable.Parameters.AddWithValue(endpointId);
            disable.Parameters.AddWithValue(reason);
            disable.Parameters.AddWithValue(at);
            await using var reader = await disable.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return false;
            (tenantId, url) = (reader.GetGuid(0), reader.GetString(1));
        }
        await using (var fail = new NpgsqlCommand("UPDATE deliveries SET status = 'failed', locked_until = NULL WHERE endpoint_id = $1 AND status = 'pending'", connection, transaction))
        {
            fail.Parameters.AddWithValue(endpointId);
            await fail.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var notify = new NpgsqlCommand(
            "INSERT INTO deliveries (id, endpoint_id, event_id, event_type, body, next_attempt_at) " +
            "SELECT gen_random_uuid(), e.id, $3, $4, $5, now() FROM endpoints e WHERE e.tenant_id = $1 AND e.id <> $2 AND e.disabled_at IS NULL " +
            "ON CONFLICT (endpoint_id, event_id) DO NOTHING", connection, transaction))
        {
            notify.Parameters.AddWithValue(tenantId);
            notify.Parameters.AddWithValue(endpointId);
            notify.Parameters.AddWithValue($"{WebhookEventTypes.EndpointDisabled}:{endpointId}:{at.ToUnixTimeMilliseconds()}");
            notify.Parameters.AddWithValue(WebhookEventTypes.EndpointDisabled);
            notify.Parameters.AddWithValue(WebhookEndpointApi.Envelope(WebhookEventTypes.EndpointDisabled, at,
                new { endpointId, url, reason, disabledAt = at }));
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
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

    /// <summary>Deletes finished deliveries (payload and attempt log) created before <paramref name="before"/>, in
    /// batches so no lock is held long. Pending deliveries are kept whatever their age.</summary>
    public async Task<int> DeleteFinishedBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        const int batchSize = 5000;
        var total = 0;
        while (true)
        {
            await using var command = db.CreateCommand(
                "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE status <> 'pending' AND created_at < $1 LIMIT $2)");
            command.Parameters.AddWithValue(before);
            command.Parameters.AddWithValue(batchSize);
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
            total += deleted;
            if (deleted < batchSize) return total;
        }
    }
}
