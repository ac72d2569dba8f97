using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ArFleet.CampaignRules;

public static class CampaignEndpoints
{
    public const int MaxPageSize = 100;

    public record CreatedCampaign(Guid CampaignId);

    public record CampaignView(
        Guid CampaignId, Guid TenantId, string Name, string Status, Guid[] TargetIds, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
        int Priority, RewardSpec Reward, LimitsSpec Limits, GeoFence? GeoFence, ActionSpec? Action, double WinProbability,
        string TimeZone, DateTimeOffset CreatedAt, long Issued, long? Remaining, FraudPolicy Fraud, Guid[]? Apps,
        CampaignStatsStore.FraudCounts? FraudCounts = null);

    public record CampaignPage(List<CampaignView> Items, Guid? NextAfter);

    public static void MapCampaignEndpoints(this WebApplication app)
    {
        var campaigns = app.MapGroup("/v1/campaigns").WithTags("Campaigns").RequireRateLimiting(ApiRateLimits.PerKey);

        campaigns.MapPost("", CreateAsync).WithSummary("Create a campaign (active at once)").RequireAuthorization(ApiPolicies.Brand);
        campaigns.MapPut("/{campaignId:guid}", UpdateAsync).WithSummary("Replace a campaign that has not ended").RequireAuthorization(ApiPolicies.Brand);
        campaigns.MapPost("/{campaignId:guid}/pause", PauseAsync).WithSummary("Pause an active campaign").RequireAuthorization(ApiPolicies.Brand);
        campaigns.MapPost("/{campaignId:guid}/resume", ResumeAsync).WithSummary("Resume a paused campaign").RequireAuthorization(ApiPolicies.Brand);
        campaigns.MapPost("/{campaignId:guid}/end", EndAsync).WithSummary("End a campaign (final)").RequireAuthorization(ApiPolicies.Brand);
        campaigns.MapGet("", ListAsync).WithSummary("List the campaigns the key may read, newest first").RequireAuthorization(ApiPolicies.BrandOrIsv);
        campaigns.MapGet("/{campaignId:guid}", GetAsync).WithSummary("Get a campaign").RequireAuthorization(ApiPolicies.BrandOrIsv);
    }

    private static async Task<Results<Created<CreatedCampaign>, BadRequestProblem>> CreateAsync(CampaignRequest request, HttpContext http,
        TargetStore targets, TenantStore tenants, CampaignStore store, CampaignCache cache, Outbox outbox, CancellationToken ct)
    {
        var tenantId = http.User.TenantId();
        if (await ValidateAsync(request, tenantId, targets, tenants, ct) is { } problem) return problem;
        var campaign = FromRequest(Guid.CreateVersion7(), tenantId, CampaignStatus.Active, request, DateTimeOffset.UtcNow);
        await using (var transaction = await outbox.BeginAsync(ct))
        {
            await store.CreateAsync(transaction.Transaction, campaign, ct);
            await AnnounceAsync(transaction, campaign.CampaignId, tenantId, cache, ct);
        }
        return TypedResults.Created($"/v1/campaigns/{campaign.CampaignId}", new CreatedCampaign(campaign.CampaignId));
    }

    private static async Task<Results<Ok<CampaignView>, BadRequestProblem, NotFoundProblem, ConflictProblem>> UpdateAsync(Guid campaignId,
        CampaignRequest request, HttpContext http, TargetStore targets, TenantStore tenants, CampaignStore store, CampaignStatsStore stats,
        CampaignCache cache, Outbox outbox, CancellationToken ct)
    {
        var tenantId = http.User.TenantId();
        var existing = await store.GetVisibleAsync(tenantId, campaignId, ct);
        if (existing is null || existing.TenantId != tenantId) return Problems.NotFound("Campaign");
        if (await ValidateAsync(request, tenantId, targets, tenants, ct) is { } problem) return problem;
        await using (var transaction = await outbox.BeginAsync(ct))
        {
            if (!await store.UpdateAsync(transaction.Transaction, FromRequest(campaignId, tenantId, existing.Status, request, existing.CreatedAt), ct))
                return Problems.Conflict("The campaign has ended and can no longer be changed");
            await AnnounceAsync(transaction, campaignId, tenantId, cache, ct);
        }
        return TypedResults.Ok(await ViewAsync((await store.GetAsync(campaignId, ct))!, store, stats, ct));
    }

    private static Task<Results<Ok<CampaignView>, NotFoundProblem, ConflictProblem>> PauseAsync(Guid campaignId, HttpContext http,
        CampaignStore store, CampaignStatsStore stats, CampaignCache cache, Outbox outbox, CancellationToken ct) =>
        TransitionAsync(campaignId, [CampaignStatus.Active], CampaignStatus.Paused, "Only an active campaign can be paused", http, store, stats, cache,
            outbox, ct);

    private static Task<Results<Ok<CampaignView>, NotFoundProblem, ConflictProblem>> ResumeAsync(Guid campaignId, HttpContext http,
        CampaignStore store, CampaignStatsStore stats, CampaignCache cache, Outbox outbox, CancellationToken ct) =>
        TransitionAsync(campaignId, [CampaignStatus.Paused], CampaignStatus.Active, "Only a paused campaign can be resumed", http, store, stats, cache,
            outbox, ct);

    private static Task<Results<Ok<CampaignView>, NotFoundProblem, ConflictProblem>> EndAsync(Guid campaignId, HttpContext http,
        CampaignStore store, CampaignStatsStore stats, CampaignCache cache, Outbox outbox, CancellationToken ct) =>
        TransitionAsync(campaignId, [CampaignStatus.Active, CampaignStatus.Paused], CampaignStatus.Ended, "The campaign has already ended",
            http, store, stats, cache, outbox, ct);

    private static async Task<Results<Ok<CampaignPage>, BadRequestProblem>> ListAsync(HttpContext http, CampaignStore store, Guid? after, int? limit,
        CancellationToken ct)
    {
        if (limit is < 1 or > MaxPageSize) return Problems.Invalid("limit", $"must be between 1 and {MaxPageSize}");
        var pageSize = limit ?? 50;
        var page = await store.ListVisibleAsync(http.User.TenantId(), after, pageSize, ct);
        var issued = await store.IssuedCountsAsync(page.Select(c => c.CampaignId).ToArray(), ct);
        var views = page.Select(c => View(c, issued.GetValueOrDefault(c.CampaignId))).ToList();
        return TypedResults.Ok(new CampaignPage(views, page.Count == pageSize ? page[^1].CampaignId : null));
    }

    private static async Task<Results<Ok<CampaignView>, NotFoundProblem>> GetAsync(Guid campaignId, HttpContext http, CampaignStore store,
        CampaignStatsStore stats, CancellationToken ct) =>
        await store.GetVisibleAsync(http.User.TenantId(), campaignId, ct) is { } campaign
            ? TypedResults.Ok(await ViewAsync(campaign, store, stats, ct))
            : Problems.NotFound("Campaign");

    private static async Task<Results<Ok<CampaignView>, NotFoundProblem, ConflictProblem>> TransitionAsync(Guid campaignId, string[] from, string to,
        string conflict, HttpContext http, CampaignStore store, CampaignStatsStore stats, CampaignCache cache, Outbox outbox, CancellationToken ct)
    {
        var tenantId = http.User.TenantId();
        var existing = await store.GetVisibleAsync(tenantId, campaignId, ct);
        if (existing is null || existing.TenantId != tenantId) return Problems.NotFound("Campaign");
        await using (var transaction = await outbox.BeginAsync(ct))
        {
            if (!await store.TransitionAsync(transaction.Transaction, tenantId, campaignId, from, to, ct))
                return Problems.Conflict(conflict, $"It is {existing.Status}.");
            await AnnounceAsync(transaction, campaignId, tenantId, cache, ct);
        }
        return TypedResults.Ok(await ViewAsync((await store.GetAsync(campaignId, ct))!, store, stats, ct));
    }

    /// <summary>Commits the change with its CampaignChanged, which carries it to the other instances; this instance's
    /// cache is brought up to date before answering, so the brand's next scan sees the change here at once.</summary>
    private static async Task AnnounceAsync(OutboxTransaction transaction, Guid campaignId, Guid tenantId, CampaignCache cache, CancellationToken ct)
    {
        await transaction.PublishAsync(new CampaignChanged(campaignId, tenantId, DateTimeOffset.UtcNow), ct);
        await transaction.CommitAsync(ct);
        await cache.ReloadAsync(campaignId, ct);
    }

    private static async Task<BadRequestProblem?> ValidateAsync(CampaignRequest request, Guid tenantId, TargetStore targets, TenantStore tenants,
        CancellationToken ct)
    {
        if (CampaignValidator.Validate(request) is { } error) return Problems.Invalid(error.Field, error.Message);
        var targetIds = request.TargetIds!.Distinct().ToArray();
        var statuses = await targets.StatusesAsync(tenantId, targetIds, ct);
        foreach (var targetId in targetIds)
        {
            if (!statuses.TryGetValue(targetId, out var status) || status == TargetStatus.Deleted)
                return Problems.Invalid("targetIds", $"target {targetId} does not exist");
            if (status != TargetStatus.Active) return Problems.Invalid("targetIds", $"target {targetId} is {status}, not active");
        }
        if (request.Apps is { } apps)
        {
            var known = await tenants.AppTenantsAsync(apps, ct);
            if (apps.Where(app => !known.Contains(app)).Select(app => (Guid?)app).FirstOrDefault() is { } unknown)
                return Problems.Invalid("apps", $"{unknown} is not an app tenant");
        }
        return null;
    }

    private static Campaign FromRequest(Guid campaignId, Guid tenantId, string status, CampaignRequest r, DateTimeOffset createdAt) =>
        new(campaignId, tenantId, r.Name!.Trim(), status, r.TargetIds!.Distinct().ToArray(),
            r.StartsAt!.Value.ToUniversalTime(), r.EndsAt!.Value.ToUniversalTime(), r.Priority ?? 0,
            r.Reward!, r.Limits ?? new LimitsSpec(0, 0, 0), r.GeoFence, r.Action, createdAt, r.WinProbability ?? 1, r.TimeZone ?? "UTC", r.Fraud,
            r.Apps?.Distinct().ToArray());

    /// <summary>A single campaign's view, with its fraud counts (a list leaves them out: one more query per campaign).</summary>
    private static async Task<CampaignView> ViewAsync(Campaign c, CampaignStore store, CampaignStatsStore stats, CancellationToken ct) =>
        View(c, (await store.IssuedCountsAsync([c.CampaignId], ct)).GetValueOrDefault(c.CampaignId)) with
        {
            FraudCounts = await stats.FraudCountsAsync(c.CampaignId, ct),
        };

    private static CampaignView View(Campaign c, long issued)
    {
        long? remaining = c.Reward.Type switch
        {
            RewardTypes.Voucher => Math.Max(0, c.Reward.Budget!.Value - issued),
            RewardTypes.RedEnvelope => Math.Max(0, c.Reward.Count!.Value - issued), // envelopes left in the pool
            _ => null,
        };
        return new CampaignView(c.CampaignId, c.TenantId, c.Name, c.Status, c.TargetIds, c.StartsAt, c.EndsAt, c.Priority,
            c.Reward, c.Limits, c.GeoFence, c.Action, c.WinProbability, c.TimeZone, c.CreatedAt, issued, remaining, c.FraudPolicy, c.Apps);
    }
}
