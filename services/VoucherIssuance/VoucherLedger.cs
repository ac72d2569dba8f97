using ArFleet.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace ArFleet.VoucherIssuance;

public record Voucher(
    string Code, Guid ScanId, Guid CampaignId, Guid TenantId, string UserId, long ValueCents, string Currency,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RedeemedAt)
{
    public string Status(DateTimeOffset now) => RedeemedAt is not null ? "redeemed" : ExpiresAt <= now ? "expired" : "issued";
}

/// <summary>The record of issued vouchers in PostgreSQL, and the exact gate. A campaign's budget is split into
/// bucket rows whose quotas sum to the budget; a voucher is recorded while its bucket's row lock is held, so
/// buckets issue in parallel and none goes past its quota. A user's limits are checked under the lock of the
/// user's home bucket (every request of that user takes it), a device's under an advisory lock of its own; both count
/// within the request's app.
/// Only when a bucket's quota is used up are all of the campaign's rows locked, to move quota from the fullest
/// bucket or to find that the whole budget is gone.</summary>
public sealed partial class VoucherLedger(NpgsqlDataSource db)
{
    public abstract record Outcome
    {
        public sealed record Issued(Voucher Voucher, bool New) : Outcome;
        public sealed record Denied(RewardDenialReason Reason) : Outcome;
        /// <summary>The bucket's quota is used up; other buckets may still have some.</summary>
        public sealed record BucketFull : Outcome;
    }

    /// <summary>Quota the slow path moved from the donor bucket to the home bucket.</summary>
    public record QuotaMove(int Donor, int Amount);

    public record BucketState(int Bucket, int Quota, int Issued, long VouchersRecorded, long UnclaimedEnvelopes);

    /// <summary>Records the campaign's layout, and splits its red-envelope pool, once: the first request to commit wins
    /// and every later one (in any instance, after any Redis loss) reads the same layout back.</summary>
    public async Task<BudgetLayout> EnsureCampaignAsync(RewardRequested request, int maxBuckets, CancellationToken cancellationToken)
    {
        var proposed = new BudgetLayout(request.CampaignId, request.TenantId, request.Terms.Budget, request.Terms.PoolCents,
            Math.Clamp(request.Terms.Budget, 1, Math.Max(1, maxBuckets)));
        if (await ReadLayoutAsync(request.CampaignId, cancellationToken) is { } existing) return existing;

        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await Execute(connection,
            "INSERT INTO voucher_campaigns (campaign_id, tenant_id, budget, pool_cents, buckets) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            cancellationToken, proposed.CampaignId, proposed.TenantId, proposed.Budget, (object?)proposed.PoolCents ?? DBNull.Value, proposed.Buckets);
        if (inserted == 1)
        {
            var buckets = Enumerable.Range(0, proposed.Buckets).ToArray();
            await Execute(connection,
                "INSERT INTO voucher_buckets (campaign_id, bucket, quota) SELECT $1, b, q FROM unnest($2::int[], $3::int[]) AS t(b, q)",
                cancellationToken, proposed.CampaignId, buckets, buckets.Select(proposed.Quota).ToArray());
            if (proposed.PoolCents is { } pool) await WriteEnvelopesAsync(connection, proposed, pool, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return await ReadLayoutAsync(connection, request.CampaignId, cancellationToken)
            ?? throw new InvalidOperationException($"Campaign {request.CampaignId} vanished from the ledger.");
    }

    /// <summary>Envelope i goes to bucket i mod buckets, which matches each bucket's quota.</summary>
    private static async Task WriteEnvelopesAsync(NpgsqlConnection connection, BudgetLayout layout, long pool, CancellationToken cancellationToken)
    {
        var amounts = RedEnvelopeSplit.Split(pool, layout.Budget);
        await using var import = await connection.BeginBinaryImportAsync(
            "COPY red_envelopes (campaign_id, seq, bucket, amount_cents) FROM STDIN (FORMAT BINARY)", cancellationToken);
        for (var i = 0; i < amounts.Length; i++)
        {
            await import.StartRowAsync(cancellationToken);
            await import.WriteAsync(layout.CampaignId, NpgsqlDbType.Uuid, cancellationToken);
            await import.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken);
            await import.WriteAsync(i % layout.Buckets, NpgsqlDbType.Integer, cancellationToken);
            await import.WriteAsync(amounts[i], NpgsqlDbType.Bigint, cancellationToken);
        }
        await import.CompleteAsync(cancellationToken);
    }

    public async Task<BudgetLayout?> ReadLayoutAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await ReadLayoutAsync(connection, campaignId, cancellationToken);
    }

    private static async Task<BudgetLayout?> ReadLayoutAsync(NpgsqlConnection connection, Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT tenant_id, budget, pool_cents, buckets FROM voucher_campaigns WHERE campaign_id = $1", connection);
        command.Parameters.AddWithValue(campaignId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new BudgetLayout(campaignId, reader.GetGuid(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetInt32(3))
            : null;
    }

    /// <summary>The fast path: holds only this bucket's row lock.</summary>
    public async Task<Outcome> IssueInBucketAsync(BudgetLayout layout, int bucket, RewardRequested request, string code, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var (remaining, existing, limitReached) = await LockAndDecideAsync(connection, layout, bucket, request, now, cancellationToken);
            if (existing is not null) return new Outcome.Issued(existing, false);
            if (limitReached) return new Outcome.Denied(RewardDenialReason.LimitReached);
            if (remaining[bucket] <= 0) return new Outcome.BucketFull();
            var voucher = await InsertAsync(connection, layout, bucket, request, code, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new Outcome.Issued(voucher, true);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return await ExistingAsync(request, e, cancellationToken);
        }
    }

    /// <summary>The slow path, when the home bucket is used up: with every bucket row locked, either the whole
    /// budget is gone (the only place that answers BudgetExhausted), or half of the fullest bucket's remaining
    /// quota moves to the home bucket and the voucher is issued there.</summary>
    public async Task<(Outcome Outcome, QuotaMove? Move)> IssueFromAnyBucketAsync(BudgetLayout layout, int home,
        RewardRequested request, string code, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var (remaining, existing, limitReached) = await LockAndDecideAsync(connection, layout, null, request, now, cancellationToken);
            if (existing is not null) return (new Outcome.Issued(existing, false), null);
            if (limitReached) return (new Outcome.Denied(RewardDenialReason.LimitReached), null);
            if (remaining.Sum() == 0) return (new Outcome.Denied(RewardDenialReason.BudgetExhausted), null);

            QuotaMove? move = null;
            if (remaining[home] == 0)
            {
                var donor = Array.IndexOf(remaining, remaining.Max());
                move = new QuotaMove(donor, (int)(remaining[donor] + 1) / 2);
                await MoveQuotaAsync(connection, layout, move, home, cancellationToken);
            }
            var voucher = await InsertAsync(connection, layout, home, request, code, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (new Outcome.Issued(voucher, true), move);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return (await ExistingAsync(request, e, cancellationToken), null);
        }
    }

    private static async Task MoveQuotaAsync(NpgsqlConnection connection, BudgetLayout layout, QuotaMove move, int to, CancellationToken cancellationToken)
    {
        var (from, amount) = move;
        await Execute(connection,
            "UPDATE voucher_buckets SET quota = quota + CASE bucket WHEN $2 THEN -$4 ELSE $4 END WHERE campaign_id = $1 AND bucket IN ($2, $3)",
            cancellationToken, layout.CampaignId, from, to, amount);
        if (layout.IsRedEnvelopePool)
            await Execute(connection,
                "UPDATE red_envelopes SET bucket = $3 WHERE campaign_id = $1 AND seq IN " +
                "(SELECT seq FROM red_envelopes WHERE campaign_id = $1 AND bucket = $2 AND scan_id IS NULL ORDER BY seq LIMIT $4)",
                cancellationToken, layout.CampaignId, from, to, amount);
    }

    /// <summary>The same scan raced in under another user id (another home bucket): the first one stands.</summary>
    private async Task<Outcome> ExistingAsync(RewardRequested request, PostgresException violation, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await FindByScanAsync(connection, request.ScanId, cancellationToken) is { } existing
            ? new Outcome.Issued(existing, false)
            : throw new InvalidOperationException($"Scan {request.ScanId} broke a unique key ({violation.ConstraintName}) yet has no voucher.", violation);
    }

    /// <summary>In one round trip: locks one bucket's row (or, for bucket null, all of the campaign's rows in bucket
    /// order), then reads the scan's voucher and the counts its limits need, per app (LimitIdentity). A user's own
    /// requests are serialised by the user's home bucket row, which both paths lock; a device can be used by users of
    /// several buckets, so its count is serialised by a transaction advisory lock, taken after the row locks so that
    /// lock order stays the same everywhere. Statements of a batch run in order, each seeing what committed before it
    /// started.</summary>
    private static async Task<(long[] Remaining, Voucher? Existing, bool LimitReached)> LockAndDecideAsync(NpgsqlConnection connection,
        BudgetLayout layout, int? bucket, RewardRequested request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var limits = request.Limits;
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Statement(
            "SELECT bucket, quota - issued FROM voucher_buckets WHERE campaign_id = $1 AND ($2::int IS NULL OR bucket = $2) ORDER BY bucket FOR UPDATE",
            layout.CampaignId, (object?)bucket ?? DBNull.Value));
        batch.BatchCommands.Add(Statement($"SELECT {Columns} FROM vouchers WHERE scan_id = $1", request.ScanId));
        batch.BatchCommands.Add(Statement(
            "SELECT count(*), count(*) FILTER (WHERE issued_at >= $3) FROM vouchers " +
            $"WHERE campaign_id = $1 AND user_id = $2 AND {SameApp("$4")}",
            layout.CampaignId, request.UserId, request.Limits.DayStart(now), request.AppTenantId));
        if (limits.PerDevice > 0)
        {
            batch.BatchCommands.Add(Statement("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", DeviceLockKey(layout, request)));
            batch.BatchCommands.Add(Statement($"SELECT count(*) FROM vouchers WHERE campaign_id = $1 AND device_id = $2 AND {SameApp("$3")}",
                layout.CampaignId, request.DeviceId, request.AppTenantId));
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var remaining = new long[layout.Buckets];
        var locked = 0;
        while (await reader.ReadAsync(cancellationToken)) { remaining[reader.GetInt32(0)] = reader.GetInt32(1); locked++; }
        if (locked == 0) throw new InvalidOperationException($"Campaign {layout.CampaignId} has no bucket {bucket}.");
        await reader.NextResultAsync(cancellationToken);
        var existing = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var reached = limits.PerUser > 0 && reader.GetInt64(0) >= limits.PerUser || limits.PerUserPerDay > 0 && reader.GetInt64(1) >= limits.PerUserPerDay;
        if (limits.PerDevice > 0)
        {
            await reader.NextResultAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            reached |= reader.GetInt64(0) >= limits.PerDevice;
        }
        return (remaining, existing, reached);
    }

    /// <summary>The limits count the request's app; a voucher recorded before vouchers had an app (NULL) counts in
    /// every app, so that upgrading never lets a limit be exceeded.</summary>
    private static string SameApp(string parameter) => $"(app_tenant_id = {parameter} OR app_tenant_id IS NULL)";

    private static NpgsqlBatchCommand Statement(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.AddWithValue(value);
        return command;
    }

    /// <summary>Inserts the voucher (claiming one of the bucket's envelopes for a pool) and counts it in its bucket,
    /// in one round trip.</summary>
    private static async Task<Voucher> InsertAsync(NpgsqlConnection connection, BudgetLayout layout, int bucket, RewardRequested request, string code,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string columns = "code, scan_id, campaign_id, tenant_id, user_id, device_id, value_cents, currency, issued_at, expires_at, bucket, app_tenant_id";
        var insert = layout.IsRedEnvelopePool
            ? "WITH envelope AS (UPDATE red_envelopes SET scan_id = $2 WHERE campaign_id = $3 AND seq = " +
              "(SELECT seq FROM red_envelopes WHERE campaign_id = $3 AND bucket = $11 AND scan_id IS NULL ORDER BY seq LIMIT 1) RETURNING amount_cents) " +
              $"INSERT INTO vouchers ({columns}) SELECT $1, $2, $3, $4, $5, $6, amount_cents, $8, $9, $10, $11, $12 FROM envelope RETURNING value_cents"
            : $"INSERT INTO vouchers ({columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING value_cents";
        var expiresAt = now.AddDays(request.Terms.ValidDays);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Statement(insert, code, request.ScanId, layout.CampaignId, layout.TenantId, request.UserId, request.DeviceId,
            request.Terms.ValueCents, request.Terms.Currency, now, expiresAt, bucket, request.AppTenantId));
        batch.BatchCommands.Add(Statement("UPDATE voucher_buckets SET issued = issued + 1, last_issued_at = now() WHERE campaign_id = $1 AND bucket = $2",
            layout.CampaignId, bucket));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var value = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0)
            : throw new InvalidOperationException($"Bucket {bucket} of campaign {layout.CampaignId} has quota but no envelope left.");
        return new Voucher(code, request.ScanId, layout.CampaignId, layout.TenantId, request.UserId, value, request.Terms.Currency, now, expiresAt, null);
    }

    public async Task<IReadOnlyList<(int Bucket, int Quota, int Issued)>> BucketQuotasAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT bucket, quota, issued FROM voucher_buckets WHERE campaign_id = $1 ORDER BY bucket");
        command.Parameters.AddWithValue(campaignId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var quotas = new List<(int, int, int)>();
        while (await reader.ReadAsync(cancellationToken)) quotas.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2)));
        return quotas;
    }

    public async Task<Voucher?> FindByScanAsync(Guid scanId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await FindByScanAsync(connection, scanId, cancellationToken);
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

    /// <summary>Each bucket's quota and issued count beside what the ledger's rows say, for reconciliation.</summary>
    public async Task<IReadOnlyList<BucketState>> BucketStatesAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT b.bucket, b.quota, b.issued, " +
            "(SELECT count(*) FROM vouchers v WHERE v.campaign_id = b.campaign_id AND v.bucket = b.bucket), " +
            "(SELECT count(*) FROM red_envelopes e WHERE e.campaign_id = b.campaign_id AND e.bucket = b.bucket AND e.scan_id IS NULL) " +
            "FROM voucher_buckets b WHERE b.campaign_id = $1 ORDER BY b.bucket");
        command.Parameters.AddWithValue(campaignId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var states = new List<BucketState>();
        while (await reader.ReadAsync(cancellationToken))
            states.Add(new BucketState(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetInt64(4)));
        return states;
    }

    /// <summary>Campaigns that issued in the last day, which are those worth reconciling.</summary>
    public async Task<IReadOnlyList<Guid>> RecentlyActiveCampaignsAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT c.campaign_id FROM voucher_campaigns c WHERE c.created_at > now() - interval '1 day' " +
            "OR EXISTS (SELECT 1 FROM voucher_buckets b WHERE b.campaign_id = c.campaign_id AND b.last_issued_at > now() - interval '1 day') LIMIT 1000");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var campaigns = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken)) campaigns.Add(reader.GetGuid(0));
        return campaigns;
    }

    /// <summary>What each recently active campaign has left to issue (the same campaigns as reconciliation).</summary>
    public async Task<IReadOnlyDictionary<Guid, long>> RemainingBudgetsAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT b.campaign_id, sum(b.quota - b.issued) FROM voucher_buckets b JOIN voucher_campaigns c USING (campaign_id) " +
            "WHERE c.created_at > now() - interval '1 day' " +
            "OR EXISTS (SELECT 1 FROM voucher_buckets l WHERE l.campaign_id = c.campaign_id AND l.last_issued_at > now() - interval '1 day') " +
            "GROUP BY b.campaign_id LIMIT 1000");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var remaining = new Dictionary<Guid, long>();
        while (await reader.ReadAsync(cancellationToken)) remaining[reader.GetGuid(0)] = reader.GetInt64(1);
        return remaining;
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

    private static async Task<int> Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.AddWithValue(value);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
