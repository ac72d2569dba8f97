using Npgsql;

namespace ArFleet.IsvWebhook;

/// <summary>An endpoint as its owner sees it; <paramref name="RateLimitPerSecond"/> null means the service's default.</summary>
public record WebhookEndpoint(
    Guid EndpointId, Guid TenantId, string Url, string[] EventTypes, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, string? DisabledReason,
    int? RateLimitPerSecond = null);

/// <summary>Where a claimed delivery goes: <paramref name="Secrets"/> holds the current secret and, for 24 h after a
/// rotation, the previous one.</summary>
public record DeliveryTarget(Guid EndpointId, string Url, string[] Secrets, int? RateLimitPerSecond, bool Disabled);

/// <summary>What a PATCH changes; a null field stays as it is.</summary>
public record EndpointChange(string? Url, string[]? EventTypes, int? RateLimitPerSecond, bool ResetRateLimit);

/// <summary>The webhook endpoints (the endpoints table): their URLs, filters, limits, state and secrets, which are
/// stored encrypted (<see cref="EndpointSecrets"/>).</summary>
public sealed class EndpointStore(NpgsqlDataSource db, EndpointSecrets secrets)
{
    private const string Columns = "id, tenant_id, url, event_types, created_at, disabled_at, disabled_reason, rate_limit_per_second";

    public async Task CreateAsync(WebhookEndpoint endpoint, string secret, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO endpoints (id, tenant_id, url, secret, event_types, rate_limit_per_second) VALUES ($1, $2, $3, $4, $5, $6)");
        command.Parameters.AddWithValue(endpoint.EndpointId);
        command.Parameters.AddWithValue(endpoint.TenantId);
        command.Parameters.AddWithValue(endpoint.Url);
        command.Parameters.AddWithValue(secrets.Protect(secret));
        command.Parameters.AddWithValue(endpoint.EventTypes);
        command.Parameters.AddWithValue((object?)endpoint.RateLimitPerSecond ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<WebhookEndpoint?> GetAsync(Guid tenantId, Guid endpointId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM endpoints WHERE id = $1 AND tenant_id = $2");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(tenantId);
        return await ReadOneAsync(command, cancellationToken);
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

    /// <summary>The changed endpoint, or null if it is not the tenant's.</summary>
    public async Task<WebhookEndpoint?> UpdateAsync(Guid tenantId, Guid endpointId, EndpointChange change, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE endpoints SET url = COALESCE($3, url), event_types = COALESCE($4, event_types), " +
            "rate_limit_per_second = CASE WHEN $6 THEN NULL ELSE COALESCE($5, rate_limit_per_second) END " +
            $"WHERE id = $1 AND tenant_id = $2 RETURNING {Columns}");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)change.Url ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text, Value = (object?)change.EventTypes ?? DBNull.Value,
        });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer,
            Value = (object?)change.RateLimitPerSecond ?? DBNull.Value });
        command.Parameters.AddWithValue(change.ResetRateLimit);
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>Deletes the endpoint and, with it, its deliveries; false if it is not the tenant's.</summary>
    public async Task<bool> DeleteAsync(Guid tenantId, Guid endpointId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("DELETE FROM endpoints WHERE id = $1 AND tenant_id = $2");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(tenantId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Enables a disabled endpoint with a clean run of failures; null if it is not the tenant's or not disabled.</summary>
    public async Task<WebhookEndpoint?> EnableAsync(Guid tenantId, Guid endpointId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL " +
            $"WHERE id = $1 AND tenant_id = $2 AND disabled_at IS NOT NULL RETURNING {Columns}");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(tenantId);
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>Disables an enabled endpoint: its tenant and URL, or null when it was disabled already (or is gone).</summary>
    public async Task<(Guid TenantId, string Url)?> DisableAsync(Guid endpointId, string reason, DateTimeOffset at, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE endpoints SET disabled_at = $3, disabled_reason = $2 WHERE id = $1 AND disabled_at IS NULL RETURNING tenant_id, url",
            transaction.Connection, transaction);
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(reason);
        command.Parameters.AddWithValue(at);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetGuid(0), reader.GetString(1)) : null;
    }

    /// <summary>The current secret becomes the previous one (signing until <paramref name="previousExpiresAt"/>); false if not the tenant's.</summary>
    public async Task<bool> RotateSecretAsync(Guid tenantId, Guid endpointId, string secret, DateTimeOffset previousExpiresAt,
        CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE endpoints SET previous_secret = secret, previous_secret_expires_at = $4, secret = $3 WHERE id = $1 AND tenant_id = $2");
        command.Parameters.AddWithValue(endpointId);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(secrets.Protect(secret));
        command.Parameters.AddWithValue(previousExpiresAt);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The enabled endpoints of the tenant, and of the ISVs it granted access now, that subscribe to the event
    /// type: one statement. With a transaction they are locked against disabling and deletion until it ends, so deliveries
    /// enqueued in it cannot miss either.</summary>
    public async Task<Guid[]> SubscribedAsync(Guid tenantId, string eventType, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        const string sql = "SELECT id FROM endpoints WHERE (tenant_id = $1 OR tenant_id IN " +
            "(SELECT isv_tenant_id FROM isv_grants WHERE brand_tenant_id = $1 AND granted)) AND disabled_at IS NULL AND $2 = ANY (event_types)";
        await using var command = transaction is null
            ? db.CreateCommand(sql)
            : new NpgsqlCommand(sql + " FOR SHARE OF endpoints", transaction.Connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(eventType);
        return await ReadIdsAsync(command, cancellationToken);
    }

    /// <summary>The tenant's enabled endpoints but one, whatever their filter (operational notices go to all of them).</summary>
    public async Task<Guid[]> OtherEnabledAsync(Guid tenantId, Guid exceptEndpointId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT id FROM endpoints WHERE tenant_id = $1 AND id <> $2 AND disabled_at IS NULL",
            transaction.Connection, transaction);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(exceptEndpointId);
        return await ReadIdsAsync(command, cancellationToken);
    }

    /// <summary>The columns of an endpoint (as <c>e</c>) that make its <see cref="DeliveryTarget"/>, read by <see cref="ReadTarget"/>.</summary>
    public const string TargetColumns =
        "e.id, e.url, e.secret, CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END, e.rate_limit_per_second, " +
        "e.disabled_at IS NOT NULL";

    /// <summary>Where the endpoint's deliveries go and its decrypted secrets, from <see cref="TargetColumns"/> at <paramref name="first"/>.</summary>
    public DeliveryTarget ReadTarget(NpgsqlDataReader reader, int first)
    {
        var current = secrets.Unprotect(reader.GetString(first + 2));
        string[] signing = reader.IsDBNull(first + 3) ? [current] : [current, secrets.Unprotect(reader.GetString(first + 3))];
        return new DeliveryTarget(reader.GetGuid(first), reader.GetString(first + 1), signing,
            reader.IsDBNull(first + 4) ? null : reader.GetInt32(first + 4), reader.GetBoolean(first + 5));
    }

    private static async Task<WebhookEndpoint?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static async Task<Guid[]> ReadIdsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetGuid(0));
        return [.. ids];
    }

    private static WebhookEndpoint Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetFieldValue<string[]>(3), r.GetFieldValue<DateTimeOffset>(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetInt32(7));
}
