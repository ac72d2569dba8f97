using ArFleet.ServiceDefaults;

namespace ArFleet.CampaignRules;

public static class CampaignEndpoints
{
    public record CreatedCampaign(Guid CampaignId);

    public record CampaignView(
        Guid CampaignId, string Name, string Status, Guid[] TargetIds, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
        int Priority, RewardSpec Reward, LimitsSpec Limits, GeoFence? GeoFence, ActionSpec? Action, DateTimeOffset CreatedAt,
        long Issued, long? Remaining);

    public static void MapCampaignEndpoints(this WebApplication app)
    {
        var campaigns = app.MapGroup("/v1/campaigns").WithTags("Campaigns").RequireAuthorization(ApiPolicies.Brand);

        campaigns.MapPost("", async (CampaignRequest request, HttpContext http, TargetStore targets, CampaignStore store, CancellationToken ct) =>
        {
            if (CampaignValidator.Validate(request) is { } error) return Problems.Invalid(error.Field, error.Message);
            var tenantId = http.User.TenantId();
            var targetIds = request.TargetIds!.Distinct().ToArray();
            var statuses = await targets.StatusesAsync(tenantId, targetIds, ct);
            foreach (var targetId in targetIds)
            {
                if (!statuses.TryGetValue(targetId, out var status)) return Problems.Invalid("targetIds", $"target {targetId} does not exist");
                if (status != TargetStatus.Active) return Problems.Invalid("targetIds", $"target {targetId} is {status}, not active");
            }

            var campaign = new Campaign(
                Guid.CreateVersion7(), tenantId, request.Name!.Trim(), CampaignStatus.Active, targetIds,
                request.StartsAt!.Value.ToUniversalTime(), request.EndsAt!.Value.ToUniversalTime(), request.Priority ?? 0,
                request.Reward!, request.Limits ?? new LimitsSpec(0, 0, 0), request.GeoFence, request.Action, DateTimeOffset.UtcNow);
            await store.CreateAsync(campaign, ct);
            return Results.Created($"/v1/campaigns/{campaign.CampaignId}", new CreatedCampaign(campaign.CampaignId));
        });

        campaigns.MapGet("", async (HttpContext http, CampaignStore store, CancellationToken ct) =>
        {
            var list = await store.ListAsync(http.User.TenantId(), ct);
            var views = new List<CampaignView>(list.Count);
            foreach (var campaign in list) views.Add(await ViewAsync(campaign, store, ct));
            return Results.Ok(views);
        });

        campaigns.MapGet("/{campaignId:guid}", async (Guid campaignId, HttpContext http, CampaignStore store, CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), campaignId, ct) is { } campaign
                ? Results.Ok(await ViewAsync(campaign, store, ct))
                : Problems.NotFound("Campaign"));
    }

    private static async Task<CampaignView> ViewAsync(Campaign c, CampaignStore store, CancellationToken ct)
    {
        var issued = await store.IssuedCountAsync(c.CampaignId, ct);
        long? remaining = c.Reward.Type == RewardTypes.Voucher ? Math.Max(0, c.Reward.Budget!.Value - issued) : null;
        return new CampaignView(c.CampaignId, c.Name, c.Status, c.TargetIds, c.StartsAt, c.EndsAt, c.Priority,
            c.Reward, c.Limits, c.GeoFence, c.Action, c.CreatedAt, issued, remaining);
    }
}
