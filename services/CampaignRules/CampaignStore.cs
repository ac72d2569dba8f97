using System.Text.Json;
using ArFleet.ServiceDefaults;
using Npgsql;
using NpgsqlTypes;

namespace ArFleet.CampaignRules;

public sealed class CampaignStore(NpgsqlDataSource db)
{
    /// <summary>The columns ReadAllAsync reads, from campaigns aliased c.</summary>
    public const string Columns =
        "c.id, c.tenant_id, c.name, c.status, c.starts_at, c.ends_at, c.priority, c.reward, c.limits, c.geo_fence, c.action, c.created_at, " +
        "ARRAY(SELECT target_id FROM campaign_targets t WHERE t.campaign_id = c.id), c.win_probability, c.time_zone, c.fraud, c.apps";

    /// <summary>Who may read a tenant's campaigns: the brand itself, or an ISV it granted access.</summary>
    private const string Visible =
        "(c.tenant_id = $1 OR c.tenant_id IN (SELECT brand_tenant_id FROM isv_grants WHERE isv_tenant_id = $1))";

    public async Task CreateAsync(NpgsqlTransaction transaction, Campaign campaign, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO campaigns (id, tenant_id, name, status, starts_at, ends_at, priority, reward, limits, geo_fence, action, created_at, " +
            "win_probability, time_zone, fraud, apps) " +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
        {
            Parameters =
            {
                new() { Value = campaign.CampaignId }, new() { Value = campaign.TenantId }, new() { Value = campaign.Name },
                new() { Value = campaign.Status }, new() { Value = campaign.StartsAt }, new() { Value = campaign.EndsAt },
                new() { Value = campaign.Priority }, Json(campaign.Reward), Json(campaign.Limits), Json(campaign.GeoFence),
                Json(campaign.Action), new() { Value = campaign.CreatedAt }, new() { Value = campaign.WinProbability },
                new() { Value = campaign.TimeZone }, Json(campaign.Fraud), Apps(campaign),
            },
        });
        AddTargets(batch, campaign);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Replaces the editable fields of a campaign that has not ended; false if there is none such. Writes inside
    /// the caller's transaction, like every change that is announced (CampaignChanged through the outbox).</summary>
    public async Task<bool> UpdateAsync(NpgsqlTransaction transaction, Campaign campaign, CancellationToken cancellationToken)
    {
        await using (var update = new NpgsqlCommand(
            "UPDATE campaigns SET name = $3, starts_at = $4, ends_at = $5, priority = $6, reward = $7, limits = $8, geo_fence = $9, " +
            "action = $10, win_probability = $11, time_zone = $12, fraud = $13, apps = $14, updated_at = now() " +
            "WHERE id = $1 AND tenant_id = $2 AND status <> 'ended'",
            transaction.Connection, transaction)
        {
            Parameters =
            {
                new() { Value = campaign.CampaignId }, new() { Value = campaign.TenantId }, new() { Value = campaign.Name },
                new() { Value = campaign.StartsAt }, new() { Value = campaign.EndsAt }, new() { Value = campaign.Priority },
                Json(campaign.Reward), Json(campaign.Limits), Json(campaign.GeoFence), Json(campaign.Action),
                new() { Value = campaign.WinProbability }, new() { Value = campaign.TimeZone }, Json(campaign.Fraud), Apps(campaign),
            },
        })
        {
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0) return false;
        }
        await using var targets = new NpgsqlBatch(transaction.Connection, transaction);
        targets.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM campaign_targets WHERE campaign_id = $1")
        {
            Parameters = { new() { Value = campaign.CampaignId } },
        });
        AddTargets(targets, campaign);
        await targets.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    /// <summary>Moves a campaign from one of <paramref name="from"/> to <paramref name="to"/>; false if it was in no such state.</summary>
    public async Task<bool> TransitionAsync(NpgsqlTransaction transaction, Guid tenantId, Guid campaignId, string[] from, string to,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE campaigns SET status = $4, updated_at = now() WHERE id = $1 AND tenant_id = $2 AND status = ANY($3)", transaction.Connection, transaction);
        command.Parameters.AddWithValue(campaignId);
        command.Parameters.AddWithValue(tenantId);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>A campaign the reader may see (its own, or a granting brand's); null otherwise.</summary>
    public async Task<Campaign?> GetVisibleAsync(Guid readerTenantId, Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM campaigns c WHERE c.id = $2 AND {Visible}");
        command.Parameters.AddWithValue(readerTenantId);
        command.Parameters.AddWithValue(campaignId);
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<Campaign?> GetAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM campaigns c WHERE c.id = $1");
        command.Parameters.AddWithValue(campaignId);
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>A page of the campaigns the reader may see, newest first; ids are time-ordered (v7), so the
    /// last id of a page is the cursor of the next.</summary>
    public async Task<List<Campaign>> ListVisibleAsync(Guid readerTenantId, Guid? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            $"SELECT {Columns} FROM campaigns c WHERE {Visible} AND ($2::uuid IS NULL OR c.id < $2) ORDER BY c.id DESC LIMIT $3");
        command.Parameters.AddWithValue(readerTenantId);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.AddWithValue(limit);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Every campaign that can still run: what the rule cache holds.</summary>
    public async Task<List<Campaign>> RunnableAsync(CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM campaigns c WHERE {Runnable}");
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>The campaign if it is runnable (as <see cref="RunnableAsync"/> counts it), else null.</summary>
    public async Task<Campaign?> GetRunnableAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM campaigns c WHERE c.id = $1 AND {Runnable}");
        command.Parameters.AddWithValue(campaignId);
        return (await ReadAllAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Not ended, and its brand not disabled by the admin.</summary>
    private const string Runnable =
        "c.status <> 'ended' AND c.ends_at > now() AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = c.tenant_id AND t.disabled_at IS NOT NULL)";

    /// <summary>Names of the campaigns, not yet ended, that show the target.</summary>
    public async Task<List<string>> UnendedUsingTargetAsync(Guid targetId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            "SELECT c.name FROM campaigns c JOIN campaign_targets ct ON ct.campaign_id = c.id " +
            "WHERE ct.target_id = $1 AND c.status <> 'ended' AND c.ends_at > now()");
        command.Parameters.AddWithValue(targetId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var names = new List<string>();
        while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        return names;
    }

    public async Task<Dictionary<Guid, long>> IssuedCountsAsync(Guid[] campaignIds, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("SELECT campaign_id, count(*) FROM issued_rewards WHERE campaign_id = ANY($1) GROUP BY campaign_id");
        command.Parameters.AddWithValue(campaignIds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<Guid, long>();
        while (await reader.ReadAsync(cancellationToken)) counts[reader.GetGuid(0)] = reader.GetInt64(1);
        return counts;
    }

    public async Task RecordIssuedAsync(Guid scanId, Guid campaignId, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand("INSERT INTO issued_rewards (scan_id, campaign_id) VALUES ($1, $2) ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue(scanId);
        command.Parameters.AddWithValue(campaignId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddTargets(NpgsqlBatch batch, Campaign campaign) =>
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO campaign_targets (campaign_id, target_id) SELECT $1, unnest($2::uuid[])")
        {
            Parameters = { new() { Value = campaign.CampaignId }, new() { Value = campaign.TargetIds } },
        });

    private static NpgsqlParameter Apps(Campaign campaign) => new()
    {
        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid,
        Value = (object?)campaign.Apps ?? DBNull.Value,
    };

    private static NpgsqlParameter Json<T>(T? value) => new()
    {
        NpgsqlDbType = NpgsqlDbType.Jsonb,
        Value = value is null ? DBNull.Value : JsonSerializer.Serialize(value, ServiceDefaultsExtensions.ApiJson),
    };

    private static T? FromJson<T>(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? default : JsonSerializer.Deserialize<T>(reader.GetString(ordinal), ServiceDefaultsExtensions.ApiJson);

    public static async Task<List<Campaign>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var r = await command.ExecuteReaderAsync(cancellationToken);
        var campaigns = new List<Campaign>();
        while (await r.ReadAsync(cancellationToken))
            campaigns.Add(new Campaign(
                r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetFieldValue<Guid[]>(12),
                r.GetFieldValue<DateTimeOffset>(4), r.GetFieldValue<DateTimeOffset>(5), r.GetInt32(6),
                FromJson<RewardSpec>(r, 7)!, FromJson<LimitsSpec>(r, 8)!, FromJson<GeoFence>(r, 9), FromJson<ActionSpec>(r, 10),
                r.GetFieldValue<DateTimeOffset>(11), r.GetDouble(13), r.GetString(14), FromJson<FraudPolicy>(r, 15),
                r.IsDBNull(16) ? null : r.GetFieldValue<Guid[]>(16)));
        return campaigns;
    }
}
