using System.Runtime.InteropServices;
using Npgsql;
using OpenCvSharp;

namespace ArFleet.Recognition;

/// <summary>Persists accepted targets' features in recognition's own database. A deleted target stays as a tombstone
/// row without features, which is never read back and which a later save cannot overwrite.</summary>
public sealed class TargetFeatureStore(NpgsqlDataSource db)
{
    /// <summary>Stores the target unless it is stored already or was deleted.</summary>
    public async Task SaveAsync(IndexedTarget target, int grade, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO target_features (target_id, tenant_id, width, height, grade, keypoints, descriptors, colour, shapes) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) " +
            "ON CONFLICT (target_id) DO NOTHING");
        command.Parameters.AddWithValue(target.TargetId);
        command.Parameters.AddWithValue(target.TenantId);
        command.Parameters.AddWithValue(target.Width);
        command.Parameters.AddWithValue(target.Height);
        command.Parameters.AddWithValue(grade);
        command.Parameters.AddWithValue(MemoryMarshal.AsBytes(target.Points.AsSpan()).ToArray());
        command.Parameters.AddWithValue(TargetIndex.DescriptorRows(target.Descriptors));
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea, Value = (object?)target.Colour ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea, Value = target.Shapes is { } shapes ? Shapes.Serialize(shapes) : DBNull.Value,
        });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Drops the target's features and leaves a tombstone, also when the target is not stored (yet): both this
    /// and SaveAsync insert on the primary key, so whichever comes second sees the other's row.</summary>
    public async Task DeleteAsync(Guid targetId, Guid tenantId, DateTimeOffset deletedAt, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "INSERT INTO target_features (target_id, tenant_id, deleted_at) VALUES ($1, $2, $3) " +
            "ON CONFLICT (target_id) DO UPDATE SET deleted_at = EXCLUDED.deleted_at, " +
            "width = NULL, height = NULL, grade = NULL, keypoints = NULL, descriptors = NULL, colour = NULL, shapes = NULL " +
            "WHERE target_features.deleted_at IS NULL");
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(deletedAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records the brand's (de)activation unless a later change was recorded already.</summary>
    public async Task SetActiveAsync(Guid targetId, bool active, DateTimeOffset changedAt, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "UPDATE target_features SET active = $2, active_changed_at = $3 WHERE target_id = $1 AND active_changed_at < $3");
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(active);
        command.Parameters.AddWithValue(changedAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IndexedTarget?> GetAsync(Guid targetId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM target_features WHERE target_id = $1 AND deleted_at IS NULL");
        command.Parameters.AddWithValue(targetId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async IAsyncEnumerable<(IndexedTarget Target, bool Active)> AllAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns}, active FROM target_features WHERE deleted_at IS NULL");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) yield return (Read(reader), reader.GetBoolean(8));
    }

    private const string Columns = "target_id, tenant_id, width, height, keypoints, descriptors, colour, shapes";

    private static IndexedTarget Read(NpgsqlDataReader r)
    {
        var points = MemoryMarshal.Cast<byte, Point2f>(r.GetFieldValue<byte[]>(4)).ToArray();
        var bytes = r.GetFieldValue<byte[]>(5);
        var descriptors = new Mat(points.Length, 32, MatType.CV_8UC1);
        Marshal.Copy(bytes, 0, descriptors.Data, bytes.Length);
        return new IndexedTarget(r.GetGuid(0), r.GetGuid(1), r.GetInt32(2), r.GetInt32(3), points, descriptors,
            r.IsDBNull(6) ? null : r.GetFieldValue<byte[]>(6), r.IsDBNull(7) ? null : Shapes.Deserialize(r.GetFieldValue<byte[]>(7)));
    }
}
