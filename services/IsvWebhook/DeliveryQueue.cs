using System.Text.Json;
using ArFleet.ServiceDefaults;
using Microsoft.Extensions.Options;
using Npgsql;
using static ArFleet.IsvWebhook.DeliveryStatus;

namespace ArFleet.IsvWebhook;

/// <summary>A claimed delivery with where it goes and how it is signed; the claim holds it until <paramref name="LeaseEnds"/>.</summary>
public record ClaimedDelivery(Guid DeliveryId, Guid EndpointId, string Body, string? TraceParent, int Attempts, DeliveryTarget Target,
    DateTimeOffset LeaseEnds);

/// <summary>A delivery as its endpoint's owner sees it in the delivery log.</summary>
public record DeliveryView(
    Guid DeliveryId, string WebhookId, string EventType, string Status, int Attempts, int? LastStatusCode, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, AttemptView[] AttemptLog);

public record AttemptView(DateTimeOffset At, int? StatusCode, string? Error, int DurationMs);

/// <summary>The durable delivery queue in PostgreSQL (the deliveries and delivery_attempts tables). Several instances
/// share it: rows are claimed with FOR UPDATE SKIP LOCKED and leased, so a crashed instance's claims come back after
/// Webhooks:Lease. Deleting an endpoint deletes its deliveries with it (the foreign key cascades). What sends come to is
/// written by <see cref="DeliveryBookkeeping"/>.</summary>
public sealed class DeliveryQueue(NpgsqlDataSource db, EndpointStore endpoints, IOptions<WebhookOptions> options, TimeProvider clock)
{
    private const string Due = $"status = '{Pending}' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until < now())";

    /// <summary>Only the head of the due queue is ranked per endpoint, read from the due index (the lease checked on the row), so a claim
    /// costs the same whatever the backlog; an endpoint's rank starts after what this instance already holds of it. The chosen rows are
    /// then locked by id alone and checked once locked (whether still due), so that no plan can look for them along the due index: with
    /// statistics behind a burst of new rows, the planner did, reading the whole backlog to lock 64 rows.</summary>
    private const string ClaimSql =
        "UPDATE deliveries d SET locked_until = now() + $2 FROM " +
        $"(SELECT id, {Due} AS due FROM deliveries WHERE id = ANY (ARRAY(" +
        "   SELECT id FROM (SELECT head.id, head.next_attempt_at, " +
        "       row_number() OVER (PARTITION BY head.endpoint_id ORDER BY head.next_attempt_at) + COALESCE(held.count, 0) AS n FROM (" +
        $"     SELECT id, endpoint_id, next_attempt_at FROM deliveries WHERE {Due} ORDER BY next_attempt_at LIMIT $1 * 8) head " +
        "     LEFT JOIN unnest($3::uuid[], $5::int[]) AS held (endpoint_id, count) ON held.endpoint_id = head.endpoint_id) ranked " +
        "   WHERE n <= $4 ORDER BY next_attempt_at LIMIT $1)) " +
        " FOR UPDATE SKIP LOCKED OFFSET 0) claimable, endpoints e " +
        "WHERE d.id = claimable.id AND claimable.due AND e.id = d.endpoint_id " +
        $"RETURNING d.id, d.endpoint_id, d.body, d.trace_parent, d.attempts, {EndpointStore.TargetColumns}";

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

    /// <summary>Claims up to <paramref name="max"/> due deliveries, so that this instance holds at most <paramref name="perEndpoint"/> of any
    /// one endpoint counting <paramref name="held"/> (what it holds already; an endpoint that cannot take more is held at the cap), so one
    /// endpoint's backlog cannot crowd out the others.</summary>
    public async Task<List<ClaimedDelivery>> ClaimDueAsync(int max, int perEndpoint, IReadOnlyDictionary<Guid, int> held,
        CancellationToken cancellationToken)
    {
        var leaseEnds = clock.GetUtcNow() + options.Value.Lease; // before the database's now(): never later than the row's lease
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(ClaimSql, connection);
        command.Parameters.AddWithValue(max);
        command.Parameters.AddWithValue(options.Value.Lease);
        command.Parameters.AddWithValue(held.Keys.ToArray());
        command.Parameters.AddWithValue(perEndpoint);
        command.Parameters.AddWithValue(held.Values.ToArray());
        await command.PrepareAsync(cancellationToken); // once per pooled connection; later calls find it prepared
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var claimed = new List<ClaimedDelivery>();
        while (await reader.ReadAsync(cancellationToken))
            claimed.Add(new ClaimedDelivery(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4), endpoints.ReadTarget(reader, 5), leaseEnds));
        return claimed;
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
