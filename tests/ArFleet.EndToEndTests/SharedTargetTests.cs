using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>Many brands and apps on one platform: one image registered by two brands, several targets in one frame, and
/// campaigns scoped to apps, with limits counted per app.</summary>
[Collection(FleetCollection.Name)]
public sealed class SharedTargetTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    [Fact]
    public async Task Two_brands_on_one_image_both_issue_their_whole_budgets_in_priority_order_and_both_are_told()
    {
        var retailer = await Client.CreateTenantAsync("Shared Retailer", "brand");
        var maker = await Client.CreateTenantAsync("Shared Maker", "brand");
        var app = await Client.CreateTenantAsync("Shared App", "app");
        var (retailerTarget, image) = await Client.CreateActiveTargetAsync(retailer.ApiKey, seed: 101);
        Assert.Null((await TargetAsync(retailer, retailerTarget))["sharedWithAnotherBrand"]);

        // The maker uploads the same poster again.
        var makerTarget = await Client.UploadTargetAsync(maker.ApiKey, "the same poster", image);
        var graded = await Client.WaitForTargetGradeAsync(maker.ApiKey, makerTarget);
        Assert.Equal("active", (string?)graded["status"]);
        Assert.True((bool?)graded["sharedWithAnotherBrand"]);
        Assert.Null(graded["nearDuplicateOf"]); // another brand's target is never named
        Assert.True((bool?)(await TargetAsync(retailer, retailerTarget))["sharedWithAnotherBrand"]);
        Assert.DoesNotContain(retailerTarget.ToString(), graded.ToJsonString());

        var retailerCampaign = await Client.CreateCampaignAsync(retailer.ApiKey, ArFleetClient.VoucherCampaign(retailerTarget, budget: 2));
        var makerCampaign = await Client.CreateCampaignAsync(maker.ApiKey,
            ArFleetClient.VoucherCampaign(makerTarget, budget: 2, ("priority", 5)));

        var scans = new List<JsonObject>();
        for (var i = 0; i < 7; i++)
        {
            using var submitted = await Client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(image, seed: 1_010 + i).Jpeg, $"shopper-{i}", $"phone-{i}");
            scans.Add(await Client.ResolvedScanAsync(app.ApiKey, submitted));
        }

        var rewardedBy = scans.Where(s => (string?)s["outcome"] == "rewarded").Select(s => Guid.Parse((string)s["campaignId"]!)).ToList();
        // The maker's campaign (priority 5) first, then the retailer's: each gives its whole budget.
        Assert.Equal([makerCampaign, makerCampaign, retailerCampaign, retailerCampaign], rewardedBy);
        Assert.Equal("budgetExhausted", (string?)scans[^1]["outcome"]);
        foreach (var scan in scans)
        {
            var targets = scan["targets"]!.AsArray().Select(t => Guid.Parse((string)t!["targetId"]!)).ToList();
            Assert.Equal(new[] { retailerTarget, makerTarget }.Order(), targets.Order());
            Assert.Equal((string?)scan["targets"]![0]!["targetId"], (string?)scan["target"]!["targetId"]); // target is the best one
        }
        foreach (var (brand, campaignId) in new[] { (retailer, retailerCampaign), (maker, makerCampaign) })
            Assert.Equal(2, (long)(await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey))["issued"]!);
    }

    [Fact]
    public async Task A_frame_with_two_registered_logos_reports_both_with_corners_and_the_campaign_of_either_applies()
    {
        var brand = await Client.CreateTenantAsync("Shelf Brand", "brand");
        var app = await Client.CreateTenantAsync("Shelf App", "app");
        var (left, leftImage) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 103);
        var (right, rightImage) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 104);
        // Only the right-hand package has a campaign: it applies whichever target recognition ranks first.
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(right, budget: 5));

        var (frame, corners) = TestImages.SideBySide(
            TestImages.CameraScan(leftImage, seed: 1_030, share: 0.7), TestImages.CameraScan(rightImage, seed: 1_031, share: 0.7));
        using var submitted = await Client.SubmitScanAsync(app.ApiKey, frame, "shelf-shopper", "shelf-phone");
        var scan = await Client.ResolvedScanAsync(app.ApiKey, submitted);

        Assert.Equal("rewarded", (string?)scan["outcome"]);
        Assert.Equal(campaignId, Guid.Parse((string)scan["campaignId"]!));
        var targets = scan["targets"]!.AsArray().ToDictionary(t => Guid.Parse((string)t!["targetId"]!), t => t!);
        Assert.Equal(new[] { left, right }.Order(), targets.Keys.Order());
        foreach (var (targetId, side) in new[] { (left, 0), (right, 1) })
        {
            var found = targets[targetId]["corners"]!.AsArray();
            for (var i = 0; i < 4; i++)
            {
                // The frame is 1280 px wide and recognition reads it at 640: 2 px of the frame per pixel it sees.
                Assert.InRange((double)found[i]![0]!, corners[side][i].X - 24, corners[side][i].X + 24);
                Assert.InRange((double)found[i]![1]!, corners[side][i].Y - 24, corners[side][i].Y + 24);
            }
            Assert.InRange((double)targets[targetId]["confidence"]!, 0.5, 1.0);
        }
    }

    [Fact]
    public async Task An_app_outside_a_campaigns_apps_gets_noCampaign_and_one_user_id_in_two_apps_has_two_limits()
    {
        var brand = await Client.CreateTenantAsync("Scoped Brand", "brand");
        var appA = await Client.CreateTenantAsync("Scoped App A", "app");
        var appB = await Client.CreateTenantAsync("Scoped App B", "app");
        var outsider = await Client.CreateTenantAsync("Scoped Outsider", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 105);

        using (var notAnApp = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/campaigns", brand.ApiKey,
                   JsonContent.Create(ArFleetClient.VoucherCampaign(targetId, extra: ("apps", new[] { brand.TenantId })))))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notAnApp.StatusCode);
            Assert.Contains("apps", await notAnApp.Content.ReadAsStringAsync());
        }
        using (var none = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/campaigns", brand.ApiKey,
                   JsonContent.Create(ArFleetClient.VoucherCampaign(targetId, extra: ("apps", Array.Empty<Guid>())))))
            Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);

        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: 10,
            ("apps", new[] { appA.TenantId, appB.TenantId }), ("limits", new { perUser = 1, perDevice = 1 })));
        var campaign = await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey);
        Assert.Equal(new[] { appA.TenantId, appB.TenantId }.Order(), campaign["apps"]!.AsArray().Select(a => Guid.Parse((string)a!)).Order());

        var photo = 1_050;
        async Task<string?> ScanAsync(ArFleetClient.Tenant app, string device)
        {
            using var submitted = await Client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(image, seed: photo++).Jpeg, "alice", device);
            return (string?)(await Client.ResolvedScanAsync(app.ApiKey, submitted))["outcome"];
        }

        Assert.Equal("noCampaign", await ScanAsync(outsider, "phone-1"));
        Assert.Equal("rewarded", await ScanAsync(appA, "phone-1"));
        // The same user id and device id in another app are another user and device.
        Assert.Equal("rewarded", await ScanAsync(appB, "phone-1"));
        Assert.Equal("limitReached", await ScanAsync(appA, "phone-2"));
        Assert.Equal("limitReached", await ScanAsync(appB, "phone-2"));
    }

    private Task<JsonObject> TargetAsync(ArFleetClient.Tenant brand, Guid targetId) =>
        Client.GetJsonAsync(Fleet.Campaigns, $"/v1/targets/{targetId}", brand.ApiKey);
}
