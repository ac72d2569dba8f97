using ArFleet.Contracts;
using Npgsql;

namespace ArFleet.VoucherIssuance;

public record Voucher(
    string Code, Guid ScanId, Guid CampaignId, Guid TenantId, string UserId, long ValueCents, string Currency,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RedeemedAt)
{
    public string Status(DateTimeOffset now) => RedeemedAt is not null ? "redeemed" : ExpiresAt <= now ? "expired" : "issued";
}

/// <summary>The record of issued vouchers in PostgreSQL, and the exact gate: budget and limits are checked
/// again inside one transaction that holds the campaign's row lock, so whatever Redis lost or raced,
/// the ledger never holds more vouchers than the budget nor two for one scan.</summary>
public sealed class VoucherLedger(NpgsqlDataSource db)
{
    public abstract record Outcome
    {
        public sealed record Issued(Voucher Voucher) : Outcome;
        public sealed record Denied(RewardDenialReason Reason, long IssuedCount) : Outcome;
    }

    public async Task<long> IssuedCountAsync(RewardRequested request, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO campaign_budgets (campaign_id, tenant_id, budget) VALUES ($1, $2, $3) " +
            "ON CONFLICT (campaign_id) DO UPDATE SET budget = EXCLUDED.budget RETURNING issued");
        command.Parameters.AddWithValue(request.CampaignId);
        command.Parameters.AddWithValue(request.TenantId);
        command.Parameters.AddWithValue(request.Terms.Budget);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken));
    }

    public async Task<Outcome> RecordAsync(RewardRequested request, string code, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The row lock taken here serialises issuing per campaign for the rest of the transaction.
        var issued = await Scalar<int?>(connection,
            "INSERT INTO campaign_budgets (campaign_id, tenant_id, budget) VALUES ($1, $2, $3) " +
            "ON CONFLICT (campaign_id) DO UPDATE SET budget = EXCLUDED.budget RETURNING issued",
            cancellationToken, request.CampaignId, request.TenantId, request.Terms.Budget) ?? 0;

        if (await FindByScanAsync(connection, request.ScanId, cancellationToken) is { } existing)
            return new Outcome.Issued(existing);
        if (issued >= request.Terms.Budget)
            return new Outcome.Denied(RewardDenialReason.BudgetExhausted, issued);
        if (await LimitReachedAsync(connection, request, now, cancellationToken))
            return new Outcome.Denied(RewardDenialReason.LimitReached, issued);

        var voucher = new Voucher(code, request.ScanId, request.CampaignId, request.TenantId, request.UserId,
            request.Terms.ValueCents, request.Terms.Currency, now, now.AddDays(request.Terms.ValidDays), null);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO vouchers (code, scan_id, campaign_id, tenant_id, user_id, device_id, value_cents, currency, issued_at, expires_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", connection, transaction))
        {
            foreach (var value in new object[] { code, request.ScanId, request.CampaignId, request.TenantId, request.UserId, request.DeviceId,
                         voucher.ValueCents, voucher.Currency, voucher.IssuedAt, voucher.ExpiresAt })
                insert.Parameters.AddWithValue(value);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await Scalar<int?>(connection, "UPDATE campaign_budgets SET issued = issued + 1 WHERE campaign_id = $1 RETURNING issued",
            cancellationToken, request.CampaignId);
        await transaction.CommitAsync(cancellationToken);
        return new Outcome.Issued(voucher);
    }

    public async Task<Voucher?> GetAsync(string code, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM vouchers WHERE code = $1");
        command.Parameters.AddWithValue(code);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Marks the voucher redeemed if it is the tenant's, unredeemed and unexpired; null otherwise.</summary>
    public async Task<Voucher?> RedeemAsync(Guid tenantId, string code, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            $"UPDATE vouchers SET redeemed_at = $3 WHERE code = $1 AND tenant_id = $2 AND redeemed_at IS NULL AND expires_at > $3 RETURNING {Columns}");
        command.Parameters.AddWithValue(code);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private const string Columns = "code, scan_id, campaign_id, tenant_id, user_id, value_cents, currency, issued_at, expires_at, redeemed_at";

    private static Voucher Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetGuid(1), r.GetGuid(2), r.GetGuid(3), r.GetString(4), r.GetInt64(5), r.GetString(6),
        r.GetFieldValue<DateTimeOffset>(7), r.GetFieldValue<DateTimeOffset>(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9));

    private static async Task<Voucher?> FindByScanAsync(NpgsqlConnection connection, Guid scanId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM vouchers WHERE scan_id = $1", connection);
        command.Parameters.AddWithValue(scanId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static async Task<bool> LimitReachedAsync(NpgsqlConnection connection, RewardRequested request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var limits = request.Limits;
        if (limits.PerUser > 0 && await Scalar<long>(connection, "SELECT count(*) FROM vouchers WHERE campaign_id = $1 AND user_id = $2",
                cancellationToken, request.CampaignId, request.UserId) >= limits.PerUser) return true;
        if (limits.PerDevice > 0 && await Scalar<long>(connection, "SELECT count(*) FROM vouchers WHERE campaign_id = $1 AND device_id = $2",
                cancellationToken, request.CampaignId, request.DeviceId) >= limits.PerDevice) return true;
        var dayStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        return limits.PerUserPerDay > 0 && await Scalar<long>(connection,
            "SELECT count(*) FROM vouchers WHERE campaign_id = $1 AND user_id = $2 AND issued_at >= $3",
            cancellationToken, request.CampaignId, request.UserId, dayStart) >= limits.PerUserPerDay;
    }

    private static async Task<T?> Scalar<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.AddWithValue(value);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is null or DBNull ? default : (T)Convert.ChangeType(result, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T));
    }
}
