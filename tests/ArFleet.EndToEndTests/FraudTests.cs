using System.Net;
using System.Text.Json.Nodes;
using ArFleet.ServiceDefaults.Observability;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>Image reuse through the whole fleet: one photo shared by many accounts collects one reward, while different
/// photos of one target each collect theirs.</summary>
[Collection(FleetCollection.Name)]
public sealed class FraudTests(FleetFixture fixture)
{
    private ArFleetClient Client => fixture.Client;
    private Fleet Fleet => fixture.Fleet;

    [Fact]
    public async Task One_image_sent_by_eight_users_collects_one_reward_and_eight_different_scans_collect_eight()
    {
        var brand = await Client.CreateTenantAsync("Lucky Tea", "brand");
        var app = await Client.CreateTenantAsync("Scan App", "app");
        var targetImage = TestImages.Target(seed: 81); // an image no other test in the shared fleet registers
        var targetId = await Client.UploadTargetAsync(brand.ApiKey, "Lucky Tea poster", targetImage);
        Assert.Equal("active", (string?)(await Client.WaitForTargetGradeAsync(brand.ApiKey, targetId))["status"]);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, new
        {
            name = "Spring festival",
            targetIds = new[] { targetId },
            startsAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            endsAt = DateTimeOffset.UtcNow.AddHours(1),
            reward = new { type = "voucher", budget = 100, valueCents = 500, currency = "CNY", validDays = 30 },
        });

        var shared = TestImages.CameraScan(targetImage, seed: 400).Jpeg;
        var sharedScans = await Task.WhenAll(Enumerable.Range(1, 8).Select(user => ScanAsync(app.ApiKey, shared, $"sharer-{user}", $"sharer-phone-{user}")));
        Assert.Equal(1, sharedScans.Count(s => (string?)s["outcome"] == "rewarded"));
        var duplicates = sharedScans.Where(s => (string?)s["outcome"] == "duplicateImage").ToList();
        Assert.Equal(7, duplicates.Count);
        Assert.All(duplicates, s => Assert.Contains("duplicateImage", s["fraud"]!["reasons"]!.AsArray().Select(r => (string?)r)));

        var ownScans = await Task.WhenAll(Enumerable.Range(1, 8).Select(user =>
            ScanAsync(app.ApiKey, TestImages.CameraScan(targetImage, seed: 500 + user).Jpeg, $"visitor-{user}", $"visitor-phone-{user}")));
        Assert.All(ownScans, s => Assert.Equal("rewarded", (string?)s["outcome"]));

        // A retry of one request under its Idempotency-Key is that scan again, not a second sender of its image.
        var retried = TestImages.CameraScan(targetImage, seed: 600).Jpeg;
        var first = await ScanAsync(app.ApiKey, retried, "retrier", "retrier-phone", "key-600");
        var again = await ScanAsync(app.ApiKey, retried, "retrier", "retrier-phone", "key-600");
        Assert.Equal("rewarded", (string?)first["outcome"]);
        Assert.Equal((string?)first["scanId"], (string?)again["scanId"]);
        Assert.Equal("rewarded", (string?)again["outcome"]);

        // The campaign counts its fraud, on the campaign and as a metric: the 7 duplicates, each refused once.
        var counts = (await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey))["fraudCounts"]!;
        Assert.Equal(7, (long)counts["duplicateImage"]!);
        Assert.Equal(7, (long)counts["refused"]!);
        Assert.Equal(0, (long)counts["suspectedRecapture"]!);
        using var http = new HttpClient();
        var scrape = await PrometheusScrape.GetAsync(http, new Uri(Fleet.Campaigns, Telemetry.MetricsPath));
        Assert.Equal(7, scrape.Where(m => m.Name == "arfleet_campaigns_fraud_scans_total" && m.Labels.GetValueOrDefault("campaign_id") == campaignId.ToString()
            && m.Labels.GetValueOrDefault("signal") == "duplicateImage" && m.Labels.GetValueOrDefault("action") == "refused").Sum(m => m.Value));
    }

    [Fact]
    public async Task A_device_shared_by_more_users_than_the_campaign_allows_is_refused_and_the_reason_says_why()
    {
        var brand = await Client.CreateTenantAsync("Farm Watch Tea", "brand");
        var app = await Client.CreateTenantAsync("Farm Watch App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 107);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: 50,
            ("fraud", new { devices = "refuse", maxUsersPerDevice = 2, maxDevicesPerUser = 3 })));

        // Different photos, so that only the device links the accounts.
        var onFarmPhone = new List<JsonObject>();
        for (var user = 1; user <= 4; user++)
            onFarmPhone.Add(await ScanAsync(app.ApiKey, TestImages.CameraScan(image, seed: 700 + user).Jpeg, $"farm-account-{user}", "farm-phone"));
        Assert.Equal(["rewarded", "rewarded", "limitReached", "limitReached"], onFarmPhone.Select(s => (string?)s["outcome"]));
        Assert.All(onFarmPhone.Skip(2), s => Assert.Contains("sharedDevice", s["fraud"]!["reasons"]!.AsArray().Select(r => (string?)r)));
        Assert.DoesNotContain("sharedDevice", onFarmPhone[0]["fraud"]!["reasons"]!.AsArray().Select(r => (string?)r));

        // One account hopping devices: the fourth device is one too many.
        var hops = new List<JsonObject>();
        for (var device = 1; device <= 4; device++)
            hops.Add(await ScanAsync(app.ApiKey, TestImages.CameraScan(image, seed: 710 + device).Jpeg, "hopper", $"hopper-phone-{device}"));
        Assert.Equal("rewarded", (string?)hops[0]["outcome"]);
        Assert.Equal("limitReached", (string?)hops[3]["outcome"]);
        Assert.Contains("manyDevices", hops[3]["fraud"]!["reasons"]!.AsArray().Select(r => (string?)r));
    }

    private async Task<JsonObject> ScanAsync(string key, byte[] image, string user, string device, string? idempotencyKey = null)
    {
        using var response = await Client.SubmitScanAsync(key, image, user, device, wait: 10, idempotencyKey: idempotencyKey);
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Accepted });
        // Eight scans at once queue behind recognition's two workers: wait on for the slow ones.
        var scan = await Client.ResolvedScanAsync(key, response, TimeSpan.FromSeconds(60));
        Assert.Equal("resolved", (string?)scan["status"]);
        return scan;
    }
}
