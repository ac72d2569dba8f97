using System.Security.Cryptography;
using ArFleet.ServiceDefaults;
using Npgsql;

namespace ArFleet.CampaignRules;

public record ApiKeyView(Guid KeyId, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public record IsvGrant(Guid IsvTenantId, string IsvName, DateTimeOffset CreatedAt);

/// <summary>A tenant as the admin sees it.</summary>
public record TenantAdminView(Guid TenantId, string Name, string Kind, DateTimeOffset? DisabledAt);

/// <summary>Tenants:MaxActiveKeys.</summary>
public sealed class TenantOptions
{
    /// <summary>Enough for rotation and one key per deployment; a leaked admin session cannot mint keys without end.</summary>
    public int MaxActiveKeys { get; set; } = 10;
}

/// <summary>Tenants, their API keys and ISV grants. Keys come from a CSPRNG and only their hashes are stored.</summary>
public sealed class TenantStore(NpgsqlDataSource db, Microsoft.Extensions.Options.IOptions<TenantOptions> options) : ITenantKeyResolver
{
    public async Task<(Guid TenantId, string ApiKey)> CreateAsync(string name, string kind, CancellationToken cancellationToken)
    {
        var tenantId = Guid.CreateVersion7();
        var apiKey = NewApiKey();
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO tenants (id, name, kind) VALUES ($1, $2, $3)")
        {
            Parameters = { new() { Value = tenantId }, new() { Value = name }, new() { Value = kind } },
        });
        batch.BatchCommands.Add(InsertKey(tenantId, Guid.CreateVersion7(), apiKey));
        await batch.ExecuteNonQueryAsync(cancellationToken); // a batch runs as one implicit transaction
        return (tenantId, apiKey);
    }

    public async Task<TenantIdentity?> ResolveAsync(string apiKey, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT t.id, t.name, t.kind FROM api_keys k JOIN tenants t ON t.id = k.tenant_id " +
            "WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND t.disabled_at IS NULL");
        command.Parameters.AddWithValue(ApiKeyAuthentication.HashKey(apiKey));
        return await ReadTenant(command, cancellationToken);
    }

    /// <summary>Those of the ids that are app tenants.</summary>
    public async Task<HashSet<Guid>> AppTenantsAsync(Guid[] tenantIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT id FROM tenants WHERE id = ANY($1) AND kind = 'app'");
        command.Parameters.AddWithValue(tenantIds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var apps = new HashSet<Guid>();
        while (await reader.ReadAsync(cancellationToken)) apps.Add(reader.GetGuid(0));
        return apps;
    }

    public async Task<TenantIdentity?> GetAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT id, name, kind FROM tenants WHERE id = $1");
        command.Parameters.AddWithValue(tenantId);
        return await ReadTenant(command, cancellationToken);
    }

    public int MaxActiveKeys => options.Value.MaxActiveKeys;

    /// <summary>Key rotation, step one: a new key beside the current ones; null when the tenant already has
    /// <see cref="MaxActiveKeys"/> active keys.</summary>
    public async Task<(Guid KeyId, string ApiKey)?> CreateKeyAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var keyId = Guid.CreateVersion7();
        var apiKey = NewApiKey();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The tenant's row is the lock, so two concurrent requests cannot both take the last free place.
        await using (var lockTenant = new NpgsqlCommand("SELECT id FROM tenants WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockTenant.Parameters.AddWithValue(tenantId);
            await lockTenant.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL", connection, transaction))
        {
            count.Parameters.AddWithValue(tenantId);
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! >= MaxActiveKeys) return null;
        }
        await using (var insert = new NpgsqlCommand("INSERT INTO api_keys (id, key_hash, tenant_id) VALUES ($1, $2, $3)", connection, transaction))
        {
            insert.Parameters.AddWithValue(keyId);
            insert.Parameters.AddWithValue(ApiKeyAuthentication.HashKey(apiKey));
            insert.Parameters.AddWithValue(tenantId);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return (keyId, apiKey);
    }

    public async Task<TenantAdminView?> GetForAdminAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT id, name, kind, disabled_at FROM tenants WHERE id = $1");
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TenantAdminView(reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }

    /// <summary>Disables or enables the tenant; false when it already was. The hashes of its active keys come back, for
    /// the other services' key caches (its keys are refused while it is disabled, and work again once enabled).</summary>
    public async Task<(bool Changed, byte[][] ActiveKeyHashes)> SetDisabledAsync(
        NpgsqlTransaction transaction, Guid tenantId, bool disabled, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(disabled
                ? "UPDATE tenants SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL"
                : "UPDATE tenants SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
            transaction.Connection, transaction);
        update.Parameters.AddWithValue(tenantId);
        if (await update.ExecuteNonQueryAsync(cancellationToken) == 0) return (false, []);
        await using var keys = new NpgsqlCommand("SELECT key_hash FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL", transaction.Connection,
            transaction);
        keys.Parameters.AddWithValue(tenantId);
        var hashes = new List<byte[]>();
        await using var reader = await keys.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) hashes.Add(reader.GetFieldValue<byte[]>(0));
        return (true, [.. hashes]);
    }

    public async Task<List<ApiKeyView>> ListKeysAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT id, created_at, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY created_at");
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKeyView>();
        while (await reader.ReadAsync(cancellationToken))
            keys.Add(new ApiKeyView(reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2)));
        return keys;
    }

    public enum RevokeResult { Revoked, NotFound, LastKey }

    /// <summary>Key rotation, step two: the old key stops working. The last active key cannot be revoked,
    /// so a tenant never locks itself out. KeyHash is the revoked key's hash, for the other services' caches.</summary>
    public async Task<(RevokeResult Result, byte[]? KeyHash)> RevokeKeyAsync(
        NpgsqlTransaction transaction, Guid tenantId, Guid keyId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL " +
            "AND (SELECT count(*) FROM api_keys WHERE tenant_id = $2 AND revoked_at IS NULL) > 1 RETURNING key_hash",
            transaction.Connection, transaction);
        command.Parameters.AddWithValue(keyId);
        command.Parameters.AddWithValue(tenantId);
        if (await command.ExecuteScalarAsync(cancellationToken) is byte[] keyHash) return (RevokeResult.Revoked, keyHash);
        var keys = await ListKeysAsync(tenantId, cancellationToken);
        return (keys.Any(k => k.KeyId == keyId && k.RevokedAt is null) ? RevokeResult.LastKey : RevokeResult.NotFound, null);
    }

    /// <summary>False when the ISV does not exist or is not an ISV.</summary>
    public async Task<bool> GrantAsync(NpgsqlTransaction transaction, Guid brandTenantId, Guid isvTenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO isv_grants (brand_tenant_id, isv_tenant_id) SELECT $1, id FROM tenants WHERE id = $2 AND kind = 'isv' ON CONFLICT DO NOTHING",
            transaction.Connection, transaction);
        command.Parameters.AddWithValue(brandTenantId);
        command.Parameters.AddWithValue(isvTenantId);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return (await GetAsync(isvTenantId, cancellationToken))?.Kind == TenantKinds.Isv;
    }

    public async Task<bool> RevokeGrantAsync(NpgsqlTransaction transaction, Guid brandTenantId, Guid isvTenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("DELETE FROM isv_grants WHERE brand_tenant_id = $1 AND isv_tenant_id = $2", transaction.Connection,
            transaction);
        command.Parameters.AddWithValue(brandTenantId);
        command.Parameters.AddWithValue(isvTenantId);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<List<IsvGrant>> ListGrantsAsync(Guid brandTenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT g.isv_tenant_id, t.name, g.created_at FROM isv_grants g JOIN tenants t ON t.id = g.isv_tenant_id " +
            "WHERE g.brand_tenant_id = $1 ORDER BY g.created_at");
        command.Parameters.AddWithValue(brandTenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var grants = new List<IsvGrant>();
        while (await reader.ReadAsync(cancellationToken))
            grants.Add(new IsvGrant(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        return grants;
    }

    private static NpgsqlBatchCommand InsertKey(Guid tenantId, Guid keyId, string apiKey) =>
        new("INSERT INTO api_keys (id, key_hash, tenant_id) VALUES ($1, $2, $3)")
        {
            Parameters = { new() { Value = keyId }, new() { Value = ApiKeyAuthentication.HashKey(apiKey) }, new() { Value = tenantId } },
        };

    private static async Task<TenantIdentity?> ReadTenant(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new TenantIdentity(reader.GetGuid(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    /// <summary>"afk_" and 256 random bits, base64url: unguessable, and recognisable in a leaked log.</summary>
    private static string NewApiKey() =>
        "afk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
