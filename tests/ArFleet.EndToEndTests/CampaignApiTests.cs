using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>The brand API of campaign-rules and the rules it applies to real scans.</summary>
[Collection(FleetCollection.Name)]
public sealed class CampaignApiTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    private async Task<string> ScanOutcomeAsync(string appKey, byte[] target, int seed, string user, double? lat = null, double? lon = null)
    {
        using var response = await Client.SubmitScanAsync(appKey, TestImages.CameraScan(target, seed).Jpeg, user, $"device-{user}", lat: lat, lon: lon);
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Accepted });
        return (string)(await Client.ResolvedScanAsync(appKey, response))["outcome"]!;
    }

    [Fact]
    public async Task Pausing_stops_rewards_at_once_resuming_restores_them_and_an_ended_campaign_is_final()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 31);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId));

        Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, image, 1, "u1"));
        await Transition(brand.ApiKey, campaignId, "pause", HttpStatusCode.OK);
        Assert.Equal("noCampaign", await ScanOutcomeAsync(app.ApiKey, image, 2, "u2"));
        await Transition(brand.ApiKey, campaignId, "pause", HttpStatusCode.Conflict);
        await Transition(brand.ApiKey, campaignId, "resume", HttpStatusCode.OK);
        Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, image, 3, "u3"));
        await Transition(brand.ApiKey, campaignId, "end", HttpStatusCode.OK);
        Assert.Equal("noCampaign", await ScanOutcomeAsync(app.ApiKey, image, 4, "u4"));
        await Transition(brand.ApiKey, campaignId, "resume", HttpStatusCode.Conflict);
        using var update = await Client.SendAsync(HttpMethod.Put, Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey,
            JsonContent.Create(ArFleetClient.VoucherCampaign(targetId)));
        Assert.Equal(HttpStatusCode.Conflict, update.StatusCode);
        Assert.Equal("ended", (string?)(await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey))["status"]);
    }

    [Fact]
    public async Task An_update_takes_effect_on_the_next_scan_and_the_per_user_limit_holds()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 32);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, extra: ("limits", new { perUser = 1 })));

        Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, image, 1, "same-user"));
        Assert.Equal("limitReached", await ScanOutcomeAsync(app.ApiKey, image, 2, "same-user"));

        // Move the campaign to a fence around the Bund: a scan there is rewarded, one elsewhere is outside.
        using var update = await Client.SendAsync(HttpMethod.Put, Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey,
            JsonContent.Create(ArFleetClient.VoucherCampaign(targetId, extra: ("geoFence", new { lat = 31.24, lon = 121.49, radiusMeters = 500 }))));
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        Assert.Equal("outsideGeoFence", await ScanOutcomeAsync(app.ApiKey, image, 3, "far", lat: 39.9, lon: 116.4));
        Assert.Equal("outsideGeoFence", await ScanOutcomeAsync(app.ApiKey, image, 4, "nowhere"));
        Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, image, 5, "near", lat: 31.2401, lon: 121.4901));
    }

    [Fact]
    public async Task A_user_scanning_fifty_times_at_once_gets_one_reward()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 36);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: 1000, extra: ("limits", new { perUser = 1 })));
        // One user on fifty devices, each with a photo of its own (one photo from many devices is a duplicate image, which
        // the fraud policy refuses first): only the per-user limit can stop the rest.
        var photos = Enumerable.Range(0, 50).Select(i => TestImages.CameraScan(image, seed: 1 + i).Jpeg).ToList();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var response = await Client.SubmitScanAsync(app.ApiKey, photos[i], "eager-user", $"device-{i}");
            return (string?)(await Client.ResolvedScanAsync(app.ApiKey, response))["outcome"];
        }));
        Assert.Equal(1, outcomes.Count(o => o == "rewarded"));
        Assert.Equal(49, outcomes.Count(o => o == "limitReached"));
    }

    [Fact]
    public async Task A_red_envelope_pool_is_shared_out_exactly()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 38);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId,
            extra: ("reward", new { type = "redEnvelope", totalCents = 888, count = 4 })));
        var amounts = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await Client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(image, 50 + i).Jpeg, $"lucky-{i}", $"phone-{i}");
            var scan = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            if (i < 4)
            {
                Assert.Equal("rewarded", (string?)scan["outcome"]);
                amounts.Add((long)scan["reward"]!["valueCents"]!);
            }
            else Assert.Equal("budgetExhausted", (string?)scan["outcome"]);
        }
        Assert.Equal(888, amounts.Sum());
        Assert.All(amounts, a => Assert.True(a >= 1));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonObject campaign;
        do campaign = await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey);
        while ((long)campaign["issued"]! < 4 && DateTime.UtcNow < deadline);
        Assert.Equal(0, (long)campaign["remaining"]!);
    }

    [Fact]
    public async Task A_lottery_gives_some_scans_a_reward_and_the_rest_its_action()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 33);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, extra: ("winProbability", 0.5)));
        var outcomes = new List<string>();
        for (var i = 0; i < 16; i++) outcomes.Add(await ScanOutcomeAsync(app.ApiKey, image, 10 + i, $"player-{i}"));
        Assert.Contains("rewarded", outcomes);
        Assert.Contains("noReward", outcomes);
        Assert.All(outcomes, o => Assert.Contains(o, new[] { "rewarded", "noReward" }));
    }

    [Fact]
    public async Task Campaigns_are_listed_newest_first_a_page_at_a_time()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var (targetId, _) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 34);
        var created = new List<Guid>();
        for (var i = 0; i < 5; i++) created.Add(await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId)));

        var seen = new List<Guid>();
        string? after = null;
        do
        {
            var page = await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns?limit=2{(after is null ? "" : $"&after={after}")}", brand.ApiKey);
            seen.AddRange(page["items"]!.AsArray().Select(c => Guid.Parse((string)c!["campaignId"]!)));
            after = (string?)page["nextAfter"];
        } while (after is not null);
        Assert.Equal(Enumerable.Reverse(created), seen);

        using var tooMany = await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, "/v1/campaigns?limit=1000", brand.ApiKey);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
    }

    [Fact]
    public async Task A_rotated_key_works_beside_the_old_one_until_the_old_one_is_revoked()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        using var created = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/tenants/me/keys", brand.ApiKey);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var newKey = (string)(await created.Content.ReadFromJsonAsync<JsonObject>())!["apiKey"]!;
        Assert.Equal(brand.TenantId.ToString(), (string?)(await Client.GetJsonAsync(Fleet.Campaigns, "/v1/tenants/me", newKey))["tenantId"]);
        Assert.Equal(brand.TenantId.ToString(), (string?)(await Client.GetJsonAsync(Fleet.Campaigns, "/v1/tenants/me", brand.ApiKey))["tenantId"]);

        var keys = (await (await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, "/v1/tenants/me/keys", newKey)).Content.ReadFromJsonAsync<JsonArray>())!;
        Assert.Equal(2, keys.Count);
        Assert.DoesNotContain("afk_", keys.ToJsonString()); // keys are never shown again
        var oldKeyId = (string)keys[0]!["keyId"]!;
        // The services that cache key lookups (for a minute) know the old key before it is revoked...
        (Uri Service, string Path)[] elsewhere = [(Fleet.Ingest, $"/v1/scans/{Guid.NewGuid()}"), (Fleet.Vouchers, "/v1/vouchers/NOSUCHCODE"),
            (Fleet.Webhooks, "/v1/webhook-endpoints")];
        foreach (var (service, path) in elsewhere)
            using (var known = await Client.SendAsync(HttpMethod.Get, service, path, brand.ApiKey))
                Assert.NotEqual(HttpStatusCode.Unauthorized, known.StatusCode);
        using (var revoke = await Client.SendAsync(HttpMethod.Delete, Fleet.Campaigns, $"/v1/tenants/me/keys/{oldKeyId}", newKey))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        var revokedAt = DateTime.UtcNow;
        using (var old = await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, "/v1/tenants/me", brand.ApiKey))
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        // ...and refuse it within a second of the revocation (ApiKeyRevoked evicts their caches).
        foreach (var (service, path) in elsewhere)
        {
            HttpStatusCode status;
            do
            {
                using var refused = await Client.SendAsync(HttpMethod.Get, service, path, brand.ApiKey);
                status = refused.StatusCode;
                if (status != HttpStatusCode.Unauthorized) await Task.Delay(50);
            } while (status != HttpStatusCode.Unauthorized && DateTime.UtcNow - revokedAt < TimeSpan.FromSeconds(1));
            Assert.True(status == HttpStatusCode.Unauthorized, $"{service} still took the revoked key a second after revocation ({(int)status})");
        }

        var lastKeyId = (string)keys[1]!["keyId"]!;
        using var last = await Client.SendAsync(HttpMethod.Delete, Fleet.Campaigns, $"/v1/tenants/me/keys/{lastKeyId}", newKey);
        Assert.Equal(HttpStatusCode.Conflict, last.StatusCode);
    }

    [Fact]
    public async Task A_target_in_use_cannot_be_deleted_and_a_deleted_target_is_no_longer_recognised()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 35);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId));

        using (var inUse = await Client.SendAsync(HttpMethod.Delete, Fleet.Campaigns, $"/v1/targets/{targetId}", brand.ApiKey))
            Assert.Equal(HttpStatusCode.Conflict, inUse.StatusCode);
        await Transition(brand.ApiKey, campaignId, "end", HttpStatusCode.OK);
        using (var delete = await Client.SendAsync(HttpMethod.Delete, Fleet.Campaigns, $"/v1/targets/{targetId}", brand.ApiKey))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using (var gone = await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, $"/v1/targets/{targetId}", brand.ApiKey))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        // Recognition drops it from every worker's index: the same photo no longer matches anything.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string outcome;
        do outcome = await ScanOutcomeAsync(app.ApiKey, image, 7, "after-delete");
        while (outcome != "unrecognized" && DateTime.UtcNow < deadline);
        Assert.Equal("unrecognized", outcome);
    }

    [Fact]
    public async Task A_granted_isv_receives_the_brands_webhooks_until_the_grant_is_withdrawn()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var isv = await Client.CreateTenantAsync("ISV", "isv");
        var app = await Client.CreateTenantAsync("App", "app");
        await Client.RegisterWebhookAsync(isv.ApiKey, receiver.Url, "voucher.issued");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 37);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId));

        using (var grant = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/isv-grants", brand.ApiKey,
            JsonContent.Create(new { isvTenantId = isv.TenantId })))
            Assert.Equal(HttpStatusCode.Created, grant.StatusCode);
        // The grant reaches isv-webhook as an event; scan until a delivery shows it has arrived.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        for (var i = 0; receiver.Requests.IsEmpty && DateTime.UtcNow < deadline; i++)
        {
            Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, image, 100 + i, $"granted-{i}"));
            await receiver.WaitForAsync(r => r.Count > 0, TimeSpan.FromSeconds(2));
        }
        Assert.Contains(receiver.Requests, r => r.Body.Contains("voucher.issued"));

        using (var withdraw = await Client.SendAsync(HttpMethod.Delete, Fleet.Campaigns, $"/v1/isv-grants/{isv.TenantId}", brand.ApiKey))
            Assert.Equal(HttpStatusCode.NoContent, withdraw.StatusCode);
        await Task.Delay(2000); // the withdrawal travels as an event too
        var before = receiver.Requests.Count;
        Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, image, 200, "after-withdrawal"));
        await Task.Delay(3000);
        Assert.Equal(before, receiver.Requests.Count);
    }

    private async Task Transition(string key, Guid campaignId, string verb, HttpStatusCode expected)
    {
        using var response = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/campaigns/{campaignId}/{verb}", key);
        Assert.True(response.StatusCode == expected, $"{verb}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
