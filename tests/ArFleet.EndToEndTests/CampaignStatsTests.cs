using System.Net;
using System.Text.Json.Nodes;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>GET /v1/campaigns/{id}/stats: the outcomes of the campaign's scans, counted once each, per minute too.</summary>
[Collection(FleetCollection.Name)]
public sealed class CampaignStatsTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    [Fact]
    public async Task Stats_count_each_outcome_of_the_campaigns_scans_and_show_them_in_the_current_minute()
    {
        var brand = await Client.CreateTenantAsync("Stats Tea", "brand");
        var app = await Client.CreateTenantAsync("Stats App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 61);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey,
            ArFleetClient.VoucherCampaign(targetId, budget: 10, ("limits", new { perUser = 1 })));

        var empty = await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}/stats?minutes=5", brand.ApiKey);
        Assert.Equal(0, (long)empty["scans"]!);
        Assert.Equal(5, empty["perMinute"]!.AsArray().Count);

        // The same user twice: rewarded, then the per-user limit.
        for (var i = 0; i < 2; i++)
        {
            using var response = await Client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(image, seed: 400 + i).Jpeg, "alice", $"phone-{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var stats = await WaitForScansAsync(brand.ApiKey, campaignId, 2);
        Assert.Equal(2, (long)stats["scans"]!);
        Assert.Equal(1, (long)stats["outcomes"]!["rewarded"]!);
        Assert.Equal(1, (long)stats["outcomes"]!["limitReached"]!);
        var minutes = stats["perMinute"]!.AsArray();
        Assert.Equal(30, minutes.Count);
        Assert.Equal(2, minutes.Sum(m => (long)m!["scans"]!));
        Assert.Equal(1, minutes.Sum(m => (long)m!["rewarded"]!));
        Assert.True(DateTimeOffset.Parse((string)minutes[^1]!["minute"]!) > DateTimeOffset.UtcNow.AddMinutes(-2));
    }

    [Fact]
    public async Task Stats_answer_404_to_another_brand_and_400_to_a_window_out_of_range()
    {
        var brand = await Client.CreateTenantAsync("Stats Owner", "brand");
        var other = await Client.CreateTenantAsync("Stats Other", "brand");
        var (targetId, _) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 62);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId));

        using var foreign = await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, $"/v1/campaigns/{campaignId}/stats", other.ApiKey);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        using var tooLong = await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, $"/v1/campaigns/{campaignId}/stats?minutes=181", brand.ApiKey);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("minutes", await tooLong.Content.ReadAsStringAsync());
    }

    private async Task<JsonObject> WaitForScansAsync(string key, Guid campaignId, long scans)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var stats = await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}/stats", key);
            if ((long)stats["scans"]! >= scans || DateTime.UtcNow > deadline) return stats;
            await Task.Delay(200);
        }
    }
}
