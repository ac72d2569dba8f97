using Npgsql;

namespace ArFleet.IsvWebhook;

public record WebhookEndpoint(Guid EndpointId, Guid TenantId, string Url, string[] EventTypes, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, string? DisabledReason);

public record DeliveryView(
    Guid DeliveryId, string WebhookId, string EventType, string Status, int Attempts, int? LastStatusCode, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? NextAttemptAt, AttemptView[] AttemptLog);

public record AttemptView(DateTimeOffset At, int? StatusCode, string? Error, int DurationMs);

public sealed class EndpointStore(NpgsqlDataSource db)
{
    private const string Columns = "id, tenant_id, url, event_types, created_at, disabled_at, disabled_reason";

    public async Task CreateAsync(WebhookEndpoint endpoint, string secret, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("INSERT INTO endpoints (id, tenant_id, url, secret, event_types) VALUES ($1, $2, $3, $4, $5)");
        command.Parameters.AddWithValue(endpoint.EndpointId);
        command.Parameters.AddWithValue(endpoint.TenantId);
        command.Parameters.AddWithValue(endpoint.Url);
        command.Parameters.AddWithValue(secret);
        command.Parameters.AddWithValue(endpoint.EventTypes);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<WebhookEndpoint?> GetAsync(Guid tenantId, Guid endpointId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM endpoints WHERE id = $1 AND tenant_id = $2");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>The current secret becomes the previous one (signing until <paramref name="previousExpiresAt"/>); false if not the tenant's.</summary>
    public async Task<bool> RotateSecretAsync(Guid tenantId, Guid endpointId, string secret, DateTimeOffset previousExpiresAt, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE endpoints SET previous_secret = secret, previous_secret_expires_at = $4, secret = $3 WHERE id = $1 AND tenant_id = $2");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(secret);
        command.Parameters.AddWithValue(previousExpiresAt);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<List<WebhookEndpoint>> ListAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM endpoints WHERE tenant_id = $1 ORDER BY created_at");
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var endpoints = new List<WebhookEndpoint>();
        while (await reader.ReadAsync(cancellationToken)) endpoints.Add(Read(reader));
        return endpoints;
    }

    public async Task<List<DeliveryView>> DeliveriesAsync(Guid endpointId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT d.id, d.event_type, d.status, d.attempts, d.last_status_code, d.last_error, d.created_at, d.next_attempt_at, " +
            "COALESCE((SELECT json_agg(json_build_object('at', a.attempted_at, 'statusCode', a.status_code, 'error', a.error, 'durationMs', a.duration_ms) ORDER BY a.id) " +
            "FROM delivery_attempts a WHERE a.delivery_id = d.id), '[]')::text " +
            "FROM deliveries d WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC LIMIT 500");
        command.Parameters.AddWithValue(endpointId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var deliveries = new List<DeliveryView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            var status = reader.GetString(2);
            deliveries.Add(new DeliveryView(id, DeliveryQueue.WebhookId(id), reader.GetString(1), status, reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6), status == DeliveryQueue.Pending && !reader.IsDBNull(7) ? reader.GetFieldValue<DateTimeOffset>(7) : null,
                System.Text.Json.JsonSerializer.Deserialize<AttemptView[]>(reader.GetString(8), ArFleet.ServiceDefaults.ServiceDefaultsExtensions.ApiJson)!));
        }
        return deliveries;
    }

    private static WebhookEndpoint Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetFieldValue<string[]>(3), r.GetFieldValue<DateTimeOffset>(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetString(6));
}
