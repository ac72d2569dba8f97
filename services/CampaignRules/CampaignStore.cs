using System.Text.Json;
using ArFleet.ServiceDefaults;
using Npgsql;
using NpgsqlTypes;

namespace ArFleet.CampaignRules;

public sealed class CampaignStore(NpgsqlDataSource db)
{
    private const string Columns =
        "c.id, c.tenant_id, c.name, c.status, c.starts_at, c.ends_at, c.priority, c.reward, c.limits, c.geo_fence, c.action, c.created_at, " +
        "ARRAY(SELECT target_id FROM campaign_targets t WHERE t.campaign_id = c.id)";

    public async Task CreateAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO campaigns (id, tenant_id, name, status, starts_at, ends_at, priority, reward, limits, geo_fence, action, created_at) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        {
            Parameters =
            {
                new() { Value = campaign.CampaignId }, new() { Value = campaign.TenantId }, new() { Value = campaign.Name },
                new() { Value = campaign.Status }, new() { Value = campaign.StartsAt }, new() { Value = campaign.EndsAt },
                new() { Value = campaign.Priority }, Json(campaign.Reward), Json(campaign.Limits), Json(campaign.GeoFence),
                Json(campaign.Action), new() { Value = campaign.CreatedAt },
            },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO campaign_targets (campaign_id, target_id) SELECT $1, unnest($2::uuid[])")
        {
            Parameters = { new() { Value = campaign.CampaignId }, new() { Value = campaign.TargetIds } },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<Campaign?> GetAsync(Guid tenantId, Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM campaigns c WHERE c.id = $1 AND c.tenant_id = $2");
        command.Parameters.AddWithValue(campaignId);
        command.Parameters.AddWithValue(tenantId);
        return (await ReadAll(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<List<Campaign>> ListAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM campaigns c WHERE c.tenant_id = $1 ORDER BY c.created_at DESC LIMIT 500");
        command.Parameters.AddWithValue(tenantId);
        return await ReadAll(command, cancellationToken);
    }

    /// <summary>The active campaigns of the brand that owns the target and show that target.</summary>
    public async Task<List<Campaign>> ForTargetAsync(Guid tenantId, Guid targetId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            $"SELECT {Columns} FROM campaigns c JOIN campaign_targets ct ON ct.campaign_id = c.id " +
            "WHERE ct.target_id = $1 AND c.tenant_id = $2 AND c.status = 'active'");
        command.Parameters.AddWithValue(targetId);
        command.Parameters.AddWithValue(tenantId);
        return await ReadAll(command, cancellationToken);
    }

    public async Task<long> IssuedCountAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT count(*) FROM issued_rewards WHERE campaign_id = $1");
        command.Parameters.AddWithValue(campaignId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task RecordIssuedAsync(Guid scanId, Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("INSERT INTO issued_rewards (scan_id, campaign_id) VALUES ($1, $2) ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue(scanId);
        command.Parameters.AddWithValue(campaignId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Json<T>(T? value) => new()
    {
        NpgsqlDbType = NpgsqlDbType.Jsonb,
        Value = value is null ? DBNull.Value : JsonSerializer.Serialize(value, ServiceDefaultsExtensions.ApiJson),
    };

    private static T? FromJson<T>(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? default : JsonSerializer.Deserialize<T>(reader.GetString(ordinal), ServiceDefaultsExtensions.ApiJson);

    private static async Task<List<Campaign>> ReadAll(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        var campaigns = new List<Campaign>();
        while (await r.ReadAsync(cancellationToken))
            campaigns.Add(new Campaign(
                r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetFieldValue<Guid[]>(12),
                r.GetFieldValue<DateTimeOffset>(4), r.GetFieldValue<DateTimeOffset>(5), r.GetInt32(6),
                FromJson<RewardSpec>(r, 7)!, FromJson<LimitsSpec>(r, 8)!, FromJson<GeoFence>(r, 9), FromJson<ActionSpec>(r, 10),
                r.GetFieldValue<DateTimeOffset>(11)));
        return campaigns;
    }
}
