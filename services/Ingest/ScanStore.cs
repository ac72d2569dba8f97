using System.Text.Json;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using Npgsql;
using NpgsqlTypes;

namespace ArFleet.Ingest;

/// <summary>Scans in ingest's own PostgreSQL database, the record of truth: a scan accepted once is answered for its
/// whole lifetime, whatever happens to Redis (which keeps only the frames and the waiters' wake-ups).</summary>
public sealed class ScanStore(NpgsqlDataSource db)
{
    public static readonly TimeSpan RecordLifetime = TimeSpan.FromDays(7);

    private const string Columns = "id, app_tenant_id, status, outcome, result, trace_id, created_at, resolved_at, detail";

    /// <summary>The stored part of a result: what the app sees besides status and outcome. Target is the one the campaign
    /// applied through, Targets every target recognised, best first (absent on results stored before several targets).</summary>
    private sealed record Result(RecognizedTarget? Target, IssuedReward? Reward, CampaignAction? Action, Guid? CampaignId, FraudSignals? Fraud = null,
        RecognizedTarget[]? Targets = null);

    /// <summary>Stores a new scan with its Idempotency-Key claim (and the hash of the request it binds) in one row. When
    /// the key was claimed before, nothing is written and the earlier claim is returned.</summary>
    public async Task<IdempotencyClaim?> AddAsync(Guid scanId, ScanRequest request, byte[] requestHash, string? traceId, DateTimeOffset createdAt,
        CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO scans (id, app_tenant_id, idempotency_key, user_id, device_id, lat, lon, image_key, status, trace_id, created_at, request_hash) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing', $9, $10, $11) " +
            "ON CONFLICT (app_tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING");
        command.Parameters.AddWithValue(scanId);
        command.Parameters.AddWithValue(request.AppTenantId);
        command.Parameters.Add(Text(request.IdempotencyKey));
        command.Parameters.AddWithValue(request.UserId);
        command.Parameters.AddWithValue(request.DeviceId);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = (object?)request.Location?.Lat ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Double, Value = (object?)request.Location?.Lon ?? DBNull.Value });
        command.Parameters.AddWithValue(request.ImageKey);
        command.Parameters.Add(Text(traceId));
        command.Parameters.AddWithValue(createdAt);
        command.Parameters.AddWithValue(requestHash);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1) return null;
        return await FindByIdempotencyKeyAsync(request.AppTenantId, request.IdempotencyKey!, cancellationToken)
            ?? throw new InvalidOperationException("The Idempotency-Key's scan vanished while it was claimed.");
    }

    public async Task<IdempotencyClaim?> FindByIdempotencyKeyAsync(Guid appTenantId, string key, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT id, request_hash FROM scans WHERE app_tenant_id = $1 AND idempotency_key = $2");
        command.Parameters.AddWithValue(appTenantId);
        command.Parameters.AddWithValue(key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new IdempotencyClaim(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1))
            : null;
    }

    /// <summary>The broker confirmed these scans' ScanSubmitted: the relay leaves them alone. Only scans still processing
    /// are marked, since the relay sends no other. Outside a caller's transaction the commit does not wait for its WAL
    /// flush: a crash may forget it, which only makes the relay send those scans again.</summary>
    public async Task MarkSubmittedAsync(IReadOnlyList<Guid> scanIds, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        if (transaction is null)
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            await using var own = await connection.BeginTransactionAsync(cancellationToken);
            await using (var relaxed = new NpgsqlCommand("SET LOCAL synchronous_commit TO off", connection, own))
                await relaxed.ExecuteNonQueryAsync(cancellationToken);
            await MarkSubmittedAsync(scanIds, cancellationToken, own);
            await own.CommitAsync(cancellationToken);
            return;
        }
        await using var command = new NpgsqlCommand(
            "UPDATE scans SET submitted = true WHERE id = ANY($1) AND status = 'processing'", transaction.Connection, transaction);
        command.Parameters.AddWithValue(scanIds.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records a terminal result and returns the scan as stored, or null when it was not stored. A scan keeps its
    /// first result, except that a real result replaces a `failed` one (the deadline passed, then the scan completed after
    /// all): an issued reward always shows.</summary>
    public async Task<ScanRecord?> ResolveAsync(ScanResolved result, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        const string sql = "UPDATE scans SET status = $2, outcome = $3, result = $4, resolved_at = $5, detail = $6 " +
            $"WHERE id = $1 AND (status = 'processing' OR outcome = 'failed') RETURNING {Columns}";
        await using var command = transaction is null ? db.CreateCommand(sql) : new NpgsqlCommand(sql, transaction.Connection, transaction);
        command.Parameters.AddWithValue(result.ScanId);
        command.Parameters.AddWithValue(Name(result.Status));
        command.Parameters.AddWithValue(Name(result.Outcome));
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Jsonb,
            Value = JsonSerializer.Serialize(new Result(result.Target, result.Reward, result.Action, result.CampaignId, result.Fraud, result.Targets),
                ServiceDefaultsExtensions.ApiJson),
        });
        command.Parameters.AddWithValue(result.OccurredAt);
        command.Parameters.Add(Text(result.Detail));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<ScanRecord?> GetAsync(Guid scanId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM scans WHERE id = $1");
        command.Parameters.AddWithValue(scanId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Scans still processing whose ScanSubmitted the broker has not confirmed after <paramref name="olderThan"/>,
    /// oldest first, locked for the caller's transaction so that two ingest instances do not both send one.</summary>
    public async Task<List<(Guid ScanId, ScanRequest Request, DateTimeOffset CreatedAt)>> LockUnsubmittedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan olderThan, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT id, app_tenant_id, idempotency_key, user_id, device_id, lat, lon, image_key, created_at FROM scans " +
            "WHERE NOT submitted AND status = 'processing' AND created_at < now() - $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            connection, transaction);
        command.Parameters.AddWithValue(olderThan);
        command.Parameters.AddWithValue(limit);
        var rows = new List<(Guid, ScanRequest, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var location = reader.IsDBNull(5) ? null : new GeoPoint(reader.GetDouble(5), reader.GetDouble(6));
            var request = new ScanRequest(reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                reader.GetString(4), location, reader.GetString(7));
            rows.Add((reader.GetGuid(0), request, reader.GetFieldValue<DateTimeOffset>(8)));
        }
        return rows;
    }

    /// <summary>Scans still processing past their deadline, locked for the caller's transaction.</summary>
    public async Task<List<ScanRecord>> LockOverdueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan deadline, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM scans WHERE status = 'processing' AND created_at < now() - $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED",
            connection, transaction);
        command.Parameters.AddWithValue(deadline);
        command.Parameters.AddWithValue(limit);
        var rows = new List<ScanRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) rows.Add(Read(reader));
        return rows;
    }

    public async Task<int> DeleteExpiredAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("DELETE FROM scans WHERE created_at < now() - $1 AND status <> 'processing'");
        command.Parameters.AddWithValue(RecordLifetime);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static ScanRecord Read(NpgsqlDataReader r)
    {
        var result = r.IsDBNull(4) ? null : JsonSerializer.Deserialize<Result>(r.GetString(4), ServiceDefaultsExtensions.ApiJson);
        // The app sees the best target as `target` (docs/api.md), whichever one the campaign applied through.
        var targets = result?.Targets ?? (result?.Target is { } only ? [only] : null);
        return new ScanRecord(r.GetGuid(0), r.GetGuid(1), Enum.Parse<ScanStatus>(r.GetString(2), ignoreCase: true),
            r.IsDBNull(3) ? null : Enum.Parse<ScanOutcome>(r.GetString(3), ignoreCase: true),
            targets?[0], result?.Reward, result?.Action, r.IsDBNull(5) ? null : r.GetString(5),
            r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), result?.CampaignId,
            r.IsDBNull(8) ? null : r.GetString(8), result?.Fraud, targets);
    }

    /// <summary>Statuses and outcomes as docs/api.md spells them (camelCase), which is also how they are stored.</summary>
    private static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };
}
