using Npgsql;

namespace ArFleet.CampaignRules;

public static class TargetStatus
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Rejected = "rejected";
    /// <summary>Deactivated by the brand: graded and kept, but not recognised until activated again.</summary>
    public const string Inactive = "inactive";
    public const string Deleted = "deleted";
}

/// <summary>NearDuplicateOf: one of the brand's own targets that this one nearly duplicates (null when none).
/// SharedWithAnotherBrand: true while another brand's active target is nearly the same image (null otherwise), never naming it.</summary>
public record TargetView(Guid TargetId, string Name, string Status, int? Grade, string? Reason, DateTimeOffset CreatedAt, Guid? NearDuplicateOf,
    bool? SharedWithAnotherBrand = null);

public sealed class TargetStore(NpgsqlDataSource db)
{
    private const string Columns = "id, name, status, grade, reason, created_at, near_duplicate_of, " +
        "EXISTS (SELECT 1 FROM target_shares s JOIN targets o ON o.id = s.other_target_id WHERE s.target_id = targets.id AND o.status = 'active')";

    /// <summary>A new pending target, inside the caller's transaction (which also carries its TargetImageSubmitted).</summary>
    public async Task CreateAsync(NpgsqlTransaction transaction, Guid targetId, Guid tenantId, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("INSERT INTO targets (id, tenant_id, name, status) VALUES ($1, $2, $3, $4)", transaction.Connection,
            transaction);
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(TargetStatus.Pending);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Marks the tenant's target deleted (ended campaigns keep referring to it); false if there was none.</summary>
    public async Task<bool> MarkDeletedAsync(NpgsqlTransaction transaction, Guid tenantId, Guid targetId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE targets SET status = 'deleted' WHERE id = $1 AND tenant_id = $2 AND status <> 'deleted'", transaction.Connection, transaction);
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(tenantId);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>Moves the tenant's target from one status to another; false if it is not there in that status.</summary>
    public async Task<bool> TransitionAsync(NpgsqlTransaction transaction, Guid tenantId, Guid targetId, string from, string to,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE targets SET status = $4 WHERE id = $1 AND tenant_id = $2 AND status = $3", transaction.Connection, transaction);
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<TargetView?> GetAsync(Guid tenantId, Guid targetId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM targets WHERE id = $1 AND tenant_id = $2 AND status <> 'deleted'");
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<List<TargetView>> ListAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            $"SELECT {Columns} FROM targets WHERE tenant_id = $1 AND status <> 'deleted' ORDER BY created_at DESC LIMIT 500");
        command.Parameters.AddWithValue(tenantId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var targets = new List<TargetView>();
        while (await reader.ReadAsync(cancellationToken)) targets.Add(Read(reader));
        return targets;
    }

    /// <summary>Statuses of the given targets that this tenant owns; ids it does not own are absent.</summary>
    public async Task<Dictionary<Guid, string>> StatusesAsync(Guid tenantId, IReadOnlyCollection<Guid> targetIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT id, status FROM targets WHERE tenant_id = $1 AND id = ANY($2)");
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(targetIds.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var statuses = new Dictionary<Guid, string>();
        while (await reader.ReadAsync(cancellationToken)) statuses[reader.GetGuid(0)] = reader.GetString(1);
        return statuses;
    }

    /// <summary>Records recognition's grade. Only a pending target takes it: a redelivered grade must not undo a
    /// deactivation or a deletion that came after it.</summary>
    public async Task SetGradeAsync(Guid targetId, string status, int grade, string? reason, Guid? nearDuplicateOf, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE targets SET status = $2, grade = $3, reason = $4, near_duplicate_of = $5 WHERE id = $1 AND status = 'pending'");
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(status);
        command.Parameters.AddWithValue(grade);
        command.Parameters.AddWithValue((object?)reason ?? DBNull.Value);
        command.Parameters.AddWithValue((object?)nearDuplicateOf ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records that the target is nearly the same image as other brands' targets, both ways (see target_shares).</summary>
    public async Task RecordSharesAsync(Guid targetId, Guid[] otherTargetIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO target_shares (target_id, other_target_id) SELECT $1, unnest($2::uuid[]) UNION SELECT unnest($2::uuid[]), $1 " +
            "ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(otherTargetIds);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static TargetView Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2),
        r.IsDBNull(3) ? null : r.GetInt32(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetFieldValue<DateTimeOffset>(5),
        r.IsDBNull(6) ? null : r.GetGuid(6), r.GetBoolean(7) ? true : null);
}
