using ArFleet.Contracts;
using Npgsql;

namespace ArFleet.VoucherIssuance;

public sealed partial class VoucherLedger
{
    /// <summary>A reservation to record in its user's home bucket, under the code Redis reserved for it.</summary>
    public record Reservation(int Bucket, RewardRequested Request, string Code, DateTimeOffset Now);

    /// <summary>Group commit: records reservations of one campaign in one transaction and two round trips (BEGIN, the
    /// locks and the reads; the inserts and COMMIT), deciding each as IssueInBucketAsync would have one after another
    /// in the batch's order (an earlier reservation of the same user, device or scan counts for a later one). It holds
    /// the row locks of the batch's buckets (in bucket order, as the slow path takes them) and the advisory locks of its
    /// limited devices (in key order, after the rows), so it serialises with every other path as one reservation would.
    /// Returns an outcome for each reservation, or null for one the insert skipped (its scan recorded meanwhile under
    /// another bucket, which a real message never is, since a scan has one user; or no envelope left where the quota
    /// promised one): the caller records that one on its own. Throws, having recorded nothing, if a statement fails.</summary>
    public async Task<IReadOnlyList<Outcome?>> IssueBatchAsync(BudgetLayout layout, IReadOnlyList<Reservation> batch, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        try
        {
            var decision = await DecideBatchAsync(connection, layout, batch, cancellationToken);
            if (decision.Accepted.Count == 0)
            {
                await Execute(connection, "COMMIT", cancellationToken);
                return decision.Complete(layout, batch, new Dictionary<Guid, long>());
            }
            return decision.Complete(layout, batch, await InsertBatchAsync(connection, layout, batch, decision.Accepted, cancellationToken));
        }
        catch (Exception) when (connection.State == System.Data.ConnectionState.Open)
        {
            await Execute(connection, "ROLLBACK", CancellationToken.None);
            throw;
        }
    }

    /// <summary>What a batch decided: an outcome for each reservation but the accepted ones (their vouchers still to be
    /// inserted) and the repeats of a scan earlier in the batch, which get that one's outcome.</summary>
    private sealed class BatchDecision(int count)
    {
        public readonly Outcome?[] Outcomes = new Outcome?[count];
        public readonly int[] FirstOfScan = new int[count];
        public readonly List<int> Accepted = [];

        public IReadOnlyList<Outcome?> Complete(BudgetLayout layout, IReadOnlyList<Reservation> batch, IReadOnlyDictionary<Guid, long> values)
        {
            foreach (var i in Accepted)
            {
                var (_, request, code, now) = batch[i];
                Outcomes[i] = values.TryGetValue(request.ScanId, out var value)
                    ? new Outcome.Issued(new Voucher(code, request.ScanId, layout.CampaignId, layout.TenantId, request.UserId, value,
                        request.Terms.Currency, now, now.AddDays(request.Terms.ValidDays), null), New: true)
                    : null;
            }
            return Outcomes.Select((outcome, i) => FirstOfScan[i] == i
                ? outcome
                : Outcomes[FirstOfScan[i]] is Outcome.Issued first ? first with { New = false } : Outcomes[FirstOfScan[i]]).ToList();
        }
    }

    private static async Task<BatchDecision> DecideBatchAsync(NpgsqlConnection connection, BudgetLayout layout, IReadOnlyList<Reservation> batch,
        CancellationToken cancellationToken)
    {
        var requests = batch.Select(r => r.Request).ToArray();
        var limitedDevices = Enumerable.Range(0, batch.Count).Where(i => requests[i].Limits.PerDevice > 0).ToArray();
        await using var statements = new NpgsqlBatch(connection);
        statements.BatchCommands.Add(Statement("BEGIN"));
        statements.BatchCommands.Add(Statement(
            "SELECT bucket, quota - issued FROM voucher_buckets WHERE campaign_id = $1 AND bucket = ANY($2) ORDER BY bucket FOR UPDATE",
            layout.CampaignId, batch.Select(r => r.Bucket).Distinct().ToArray()));
        statements.BatchCommands.Add(Statement($"SELECT {Columns} FROM vouchers WHERE scan_id = ANY($1)", requests.Select(r => r.ScanId).ToArray()));
        statements.BatchCommands.Add(Statement(
            "SELECT c.total, c.today FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS t(app, user_id, day_start, i) " +
            "CROSS JOIN LATERAL (SELECT count(*) AS total, count(*) FILTER (WHERE v.issued_at >= t.day_start) AS today FROM vouchers v " +
            $"WHERE v.campaign_id = $1 AND v.user_id = t.user_id AND {SameApp("t.app")}) AS c ORDER BY t.i",
            layout.CampaignId, requests.Select(r => r.AppTenantId).ToArray(), requests.Select(r => r.UserId).ToArray(),
            batch.Select(r => r.Request.Limits.DayStart(r.Now).ToUniversalTime()).ToArray()));
        if (limitedDevices.Length > 0)
        {
            statements.BatchCommands.Add(Statement(
                "SELECT pg_advisory_xact_lock(k.h) FROM (SELECT DISTINCT hashtextextended(key, 0) AS h FROM unnest($1::text[]) AS key ORDER BY 1) AS k",
                (object)limitedDevices.Select(i => DeviceLockKey(layout, requests[i])).ToArray()));
            statements.BatchCommands.Add(Statement(
                "SELECT c.n FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS t(app, device_id, i) CROSS JOIN LATERAL " +
                $"(SELECT count(*) AS n FROM vouchers v WHERE v.campaign_id = $1 AND v.device_id = t.device_id AND {SameApp("t.app")}) AS c ORDER BY t.i",
                layout.CampaignId, limitedDevices.Select(i => requests[i].AppTenantId).ToArray(), limitedDevices.Select(i => requests[i].DeviceId).ToArray()));
        }

        await statements.PrepareAsync(cancellationToken); // once per connection: each batch's statements are the same few
        await using var reader = await statements.ExecuteReaderAsync(cancellationToken);
        var remaining = new Dictionary<int, long>();
        while (await reader.ReadAsync(cancellationToken)) remaining[reader.GetInt32(0)] = reader.GetInt32(1);
        await reader.NextResultAsync(cancellationToken);
        var existing = new Dictionary<Guid, Voucher>();
        while (await reader.ReadAsync(cancellationToken)) existing[reader.GetGuid(1)] = Read(reader);
        await reader.NextResultAsync(cancellationToken);
        var userCounts = new (long Total, long Today)[batch.Count];
        for (var i = 0; await reader.ReadAsync(cancellationToken); i++) userCounts[i] = (reader.GetInt64(0), reader.GetInt64(1));
        var deviceCounts = new long[batch.Count];
        if (limitedDevices.Length > 0)
        {
            await reader.NextResultAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            for (var j = 0; await reader.ReadAsync(cancellationToken); j++) deviceCounts[limitedDevices[j]] = reader.GetInt64(0);
        }

        var decision = new BatchDecision(batch.Count);
        var firstOfScan = new Dictionary<Guid, int>();
        var acceptedOfUser = new Dictionary<string, List<DateTimeOffset>>();
        var acceptedOfDevice = new Dictionary<string, int>();
        for (var i = 0; i < batch.Count; i++)
        {
            var (bucket, request, _, now) = batch[i];
            decision.FirstOfScan[i] = firstOfScan.TryAdd(request.ScanId, i) ? i : firstOfScan[request.ScanId];
            if (decision.FirstOfScan[i] != i) continue;
            if (!remaining.TryGetValue(bucket, out var left)) throw new InvalidOperationException($"Campaign {layout.CampaignId} has no bucket {bucket}.");
            var earlier = acceptedOfUser.GetValueOrDefault(request.AppUser()) ?? [];
            var dayStart = request.Limits.DayStart(now);
            var limits = request.Limits;
            var reached = limits.PerUser > 0 && userCounts[i].Total + earlier.Count >= limits.PerUser
                || limits.PerUserPerDay > 0 && userCounts[i].Today + earlier.Count(at => at >= dayStart) >= limits.PerUserPerDay
                || limits.PerDevice > 0 && deviceCounts[i] + acceptedOfDevice.GetValueOrDefault(request.AppDevice()) >= limits.PerDevice;
            if (existing.TryGetValue(request.ScanId, out var voucher)) decision.Outcomes[i] = new Outcome.Issued(voucher, false);
            else if (reached) decision.Outcomes[i] = new Outcome.Denied(RewardDenialReason.LimitReached);
            else if (left <= 0) decision.Outcomes[i] = new Outcome.BucketFull();
            else
            {
                remaining[bucket] = left - 1;
                decision.Accepted.Add(i);
                acceptedOfUser[request.AppUser()] = [.. earlier, now];
                acceptedOfDevice[request.AppDevice()] = acceptedOfDevice.GetValueOrDefault(request.AppDevice()) + 1;
            }
        }
        return decision;
    }

    /// <summary>Inserts the accepted vouchers (each claiming the next of its bucket's envelopes, for a pool), counts those
    /// inserted in their buckets and commits, in one round trip; in scan order, so that two batches cannot deadlock on
    /// the unique key. Returns each inserted voucher's value by scan.</summary>
    private static async Task<Dictionary<Guid, long>> InsertBatchAsync(NpgsqlConnection connection, BudgetLayout layout, IReadOnlyList<Reservation> batch,
        IReadOnlyList<int> accepted, CancellationToken cancellationToken)
    {
        const string columns = "code, scan_id, campaign_id, tenant_id, user_id, device_id, value_cents, currency, issued_at, expires_at, bucket, app_tenant_id";
        const string items = "unnest($3::text[], $4::uuid[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::timestamptz[], $10::timestamptz[], " +
            "$11::int[], $12::uuid[]) WITH ORDINALITY AS t(code, scan_id, user_id, device_id, value_cents, currency, issued_at, expires_at, bucket, app, i)";
        const string counted = "counted AS (UPDATE voucher_buckets b SET issued = b.issued + n.n, last_issued_at = now() " +
            "FROM (SELECT bucket, count(*) AS n FROM inserted GROUP BY bucket) AS n WHERE b.campaign_id = $1 AND b.bucket = n.bucket) " +
            "SELECT scan_id, value_cents FROM inserted";
        var insert = layout.IsRedEnvelopePool
            ? $"WITH items AS (SELECT * FROM {items}), " +
              "wanted AS (SELECT i, bucket, row_number() OVER (PARTITION BY bucket ORDER BY i) AS n FROM items), " +
              "free AS (SELECT b.bucket, e.seq, e.n FROM (SELECT bucket, count(*) AS k FROM items GROUP BY bucket) AS b CROSS JOIN LATERAL " +
              "(SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM (SELECT seq FROM red_envelopes WHERE campaign_id = $1 AND bucket = b.bucket " +
              "AND scan_id IS NULL ORDER BY seq LIMIT b.k) AS s) AS e), " +
              "claimed AS (UPDATE red_envelopes r SET scan_id = it.scan_id FROM free f JOIN wanted w ON w.bucket = f.bucket AND w.n = f.n " +
              "JOIN items it ON it.i = w.i WHERE r.campaign_id = $1 AND r.seq = f.seq RETURNING r.scan_id, r.amount_cents), " +
              $"inserted AS (INSERT INTO vouchers ({columns}) SELECT it.code, it.scan_id, $1, $2, it.user_id, it.device_id, c.amount_cents, it.currency, " +
              "it.issued_at, it.expires_at, it.bucket, it.app FROM items it JOIN claimed c ON c.scan_id = it.scan_id ORDER BY it.scan_id " +
              $"ON CONFLICT (scan_id) DO NOTHING RETURNING scan_id, value_cents, bucket), {counted}"
            : $"WITH inserted AS (INSERT INTO vouchers ({columns}) SELECT t.code, t.scan_id, $1, $2, t.user_id, t.device_id, t.value_cents, t.currency, " +
              $"t.issued_at, t.expires_at, t.bucket, t.app FROM {items} ORDER BY t.scan_id ON CONFLICT (scan_id) DO NOTHING " +
              $"RETURNING scan_id, value_cents, bucket), {counted}";
        var rows = accepted.Select(i => batch[i]).ToArray();
        await using var statements = new NpgsqlBatch(connection);
        statements.BatchCommands.Add(Statement(insert, layout.CampaignId, layout.TenantId, rows.Select(r => r.Code).ToArray(),
            rows.Select(r => r.Request.ScanId).ToArray(), rows.Select(r => r.Request.UserId).ToArray(), rows.Select(r => r.Request.DeviceId).ToArray(),
            rows.Select(r => r.Request.Terms.ValueCents).ToArray(), rows.Select(r => r.Request.Terms.Currency).ToArray(), rows.Select(r => r.Now).ToArray(),
            rows.Select(r => r.Now.AddDays(r.Request.Terms.ValidDays)).ToArray(), rows.Select(r => r.Bucket).ToArray(),
            rows.Select(r => r.Request.AppTenantId).ToArray()));
        statements.BatchCommands.Add(Statement("COMMIT"));
        await statements.PrepareAsync(cancellationToken);
        await using var reader = await statements.ExecuteReaderAsync(cancellationToken);
        var values = new Dictionary<Guid, long>();
        while (await reader.ReadAsync(cancellationToken)) values[reader.GetGuid(0)] = reader.GetInt64(1);
        while (await reader.NextResultAsync(cancellationToken)) { } // the COMMIT's answer: only then is anything recorded
        return values;
    }

    /// <summary>The advisory lock that serialises a device's count in a campaign, for every path.</summary>
    private static string DeviceLockKey(BudgetLayout layout, RewardRequested request) => $"voucher-device:{layout.CampaignId:N}:{request.AppDevice()}";
}
