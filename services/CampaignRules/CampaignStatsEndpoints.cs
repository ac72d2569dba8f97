using ArFleet.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ArFleet.CampaignRules;

public static class CampaignStatsEndpoints
{
    public const int MaxMinutes = 180;

    public record MinuteView(DateTimeOffset Minute, long Scans, long Rewarded);

    public record StatsView(Guid CampaignId, long Scans, Dictionary<string, long> Outcomes, List<MinuteView> PerMinute);

    public static void MapCampaignStatsEndpoints(this WebApplication app) =>
        app.MapGet("/v1/campaigns/{campaignId:guid}/stats", GetStatsAsync)
            .WithSummary("What a campaign's scans came to: outcomes and scans per minute")
            .WithTags("Campaigns").RequireRateLimiting(ApiRateLimits.PerKey).RequireAuthorization(ApiPolicies.BrandOrIsv);

    /// <summary>GET /v1/campaigns/{id}/stats?minutes=30: what the campaign's scans came to, for the console's dashboard
    /// (issued and remaining are on the campaign itself).</summary>
    private static async Task<Results<Ok<StatsView>, BadRequestProblem, NotFoundProblem>> GetStatsAsync(Guid campaignId, int? minutes,
        HttpContext http, CampaignStore campaigns, CampaignStatsStore stats, TimeProvider clock, CancellationToken ct)
    {
        if (minutes is < 1 or > MaxMinutes) return Problems.Invalid("minutes", $"must be between 1 and {MaxMinutes}");
        if (await campaigns.GetVisibleAsync(http.User.TenantId(), campaignId, ct) is null) return Problems.NotFound("Campaign");
        var s = await stats.GetAsync(campaignId, minutes ?? 30, clock.GetUtcNow(), ct);
        return TypedResults.Ok(new StatsView(campaignId, s.Scans, s.Outcomes, s.PerMinute.Select(m => new MinuteView(m.At, m.Scans, m.Rewarded)).ToList()));
    }
}
