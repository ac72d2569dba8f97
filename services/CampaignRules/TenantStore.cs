using System.Security.Cryptography;
using ArFleet.ServiceDefaults;
using Npgsql;

namespace ArFleet.CampaignRules;

/// <summary>Tenants and their API keys. Keys come from a CSPRNG and only their hashes are stored.</summary>
public sealed class TenantStore(NpgsqlDataSource db) : ITenantKeyResolver
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
        batch.BatchCommands.Add(new NpgsqlBatchCommand("INSERT INTO api_keys (key_hash, tenant_id) VALUES ($1, $2)")
        {
            Parameters = { new() { Value = ApiKeyAuthentication.HashKey(apiKey) }, new() { Value = tenantId } },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken); // a batch runs as one implicit transaction
        return (tenantId, apiKey);
    }

    public async Task<TenantIdentity?> ResolveAsync(string apiKey, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT t.id, t.name, t.kind FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL");
        command.Parameters.AddWithValue(ApiKeyAuthentication.HashKey(apiKey));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TenantIdentity(reader.GetGuid(0), reader.GetString(1), reader.GetString(2))
            : null;
    }

    public async Task<TenantIdentity?> GetAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT id, name, kind FROM tenants WHERE id = $1");
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TenantIdentity(reader.GetGuid(0), reader.GetString(1), reader.GetString(2))
            : null;
    }

    /// <summary>"afk_" and 256 random bits, base64url: unguessable, and recognisable in a leaked log.</summary>
    private static string NewApiKey() =>
        "afk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
