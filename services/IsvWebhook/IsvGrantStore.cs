using ArFleet.Contracts;
using Npgsql;

namespace ArFleet.IsvWebhook;

/// <summary>The brands' grants to ISVs (from campaign-rules' IsvGrantChanged), in the isv_grants table: a granted ISV's
/// endpoints receive the brand's events too.</summary>
public sealed class IsvGrantStore(NpgsqlDataSource db)
{
    /// <summary>The newest change wins, whatever order the events arrive in.</summary>
    public async Task RecordAsync(IsvGrantChanged change, CancellationToken cancellationToken)
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
}
