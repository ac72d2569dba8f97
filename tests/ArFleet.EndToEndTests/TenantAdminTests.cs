using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using Xunit.Abstractions;

namespace ArFleet.EndToEndTests;

/// <summary>What the admin controls over tenants: the cap on active keys, and disabling a tenant everywhere at once.</summary>
[Collection(FleetCollection.Name)]
public sealed class TenantAdminTests(FleetFixture fixture, ITestOutputHelper output)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    [Fact]
    public async Task A_tenant_cannot_hold_more_than_the_cap_of_active_keys()
    {
        var brand = await Client.CreateTenantAsync("Key hoarder", "brand");
        var created = new List<Guid>();
        for (var i = 1; i < 10; i++) // the first key came with the tenant; the default cap is 10
        {
            using var response = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/tenants/me/keys", brand.ApiKey);
            await ArFleetClient.EnsureStatus(response, HttpStatusCode.Created);
            created.Add(Guid.Parse((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["keyId"]!));
        }
        using (var refused = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/tenants/me/keys", brand.ApiKey))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains("10", (string?)(await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]);
        }

        // A revoked key frees its place.
        using (var revoke = await Client.SendAsync(HttpMethod.Delete, Fleet.Campaigns, $"/v1/tenants/me/keys/{created[0]}", brand.ApiKey))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using (var again = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/tenants/me/keys", brand.ApiKey))
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task A_disabled_tenant_is_refused_by_every_service_within_a_second_and_its_campaigns_stop_then_enabling_restores_both()
    {
        var brand = await Client.CreateTenantAsync("Suspended brand", "brand");
        var app = await Client.CreateTenantAsync("Scan App", "app");
        var (targetId, targetImage) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 71);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: 10));
        Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, targetImage, "before"));

        // Every service has the brand's key in its cache now.
        (Uri Service, string Path)[] brandRoutes =
            [(Fleet.Campaigns, "/v1/campaigns"), (Fleet.Webhooks, "/v1/webhook-endpoints"), (Fleet.Vouchers, "/v1/vouchers/NOSUCHCODE")];
        foreach (var (service, path) in brandRoutes)
        {
            using var warm = await Client.SendAsync(HttpMethod.Get, service, path, brand.ApiKey);
            Assert.NotEqual(HttpStatusCode.Unauthorized, warm.StatusCode);
        }

        using (var disable = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/tenants/{brand.TenantId}/disable", Fleet.AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
            Assert.NotNull((await disable.Content.ReadFromJsonAsync<JsonObject>())!["disabledAt"]);
        }
        var refusedAfter = await Task.WhenAll(brandRoutes.Select(r => WaitForStatusAsync(r.Service, r.Path, brand.ApiKey, HttpStatusCode.Unauthorized)));
        var after = string.Join(", ", refusedAfter.Select(t => $"{t.TotalMilliseconds:0} ms"));
        output.WriteLine($"the disabled brand's key refused by campaign-rules, isv-webhook, voucher-issuance after {after}");
        Assert.All(refusedAfter, t => Assert.True(t < TimeSpan.FromSeconds(1), $"refused only after {t}"));
        using (var twice = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/tenants/{brand.TenantId}/disable", Fleet.AdminKey))
            Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);

        // Its campaign stops serving: another app's scan of its target finds no campaign.
        Assert.Equal("noCampaign", await WaitForOutcomeAsync(app.ApiKey, targetImage, "noCampaign"));

        using (var enable = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/tenants/{brand.TenantId}/enable", Fleet.AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
            Assert.Null((await enable.Content.ReadFromJsonAsync<JsonObject>())!["disabledAt"]);
        }
        var enabledAfter = await Task.WhenAll(brandRoutes.Select(r => WaitForStatusAsync(r.Service, r.Path, brand.ApiKey, null)));
        Assert.All(enabledAfter, t => Assert.True(t < TimeSpan.FromSeconds(1), $"accepted again only after {t}"));
        Assert.Equal("rewarded", await WaitForOutcomeAsync(app.ApiKey, targetImage, "rewarded"));

        // A disabled app's key stops at ingest too.
        using (var warm = await Client.SubmitScanAsync(app.ApiKey, TestImages.UnrelatedPhoto(seed: 3), "warm", "warm", wait: 0))
            Assert.True(warm.IsSuccessStatusCode, $"{warm.StatusCode}");
        using (var disableApp = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/tenants/{app.TenantId}/disable", Fleet.AdminKey))
            Assert.Equal(HttpStatusCode.OK, disableApp.StatusCode);
        var deadline = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var scan = await Client.SubmitScanAsync(app.ApiKey, TestImages.UnrelatedPhoto(seed: 3), "late", "late", wait: 0);
            status = scan.StatusCode;
        } while (status != HttpStatusCode.Unauthorized && deadline.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(1), $"ingest refused the disabled app only after {deadline.Elapsed}");

        // Only the admin may do this; an unknown tenant is 404.
        using (var notAdmin = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/tenants/{brand.TenantId}/disable", brand.ApiKey))
            Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        using (var unknown = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/tenants/{Guid.NewGuid()}/disable", Fleet.AdminKey))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private int scans;

    private async Task<string?> ScanOutcomeAsync(string appKey, byte[] targetImage, string user)
    {
        // The camera seeds the scan flow test uses, each known to be recognised.
        var photo = TestImages.CameraScan(targetImage, seed: 101 + Interlocked.Increment(ref scans) % 5);
        using var response = await Client.SubmitScanAsync(appKey, photo.Jpeg, $"{user}-{Guid.NewGuid():N}", $"device-{Guid.NewGuid():N}");
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Accepted });
        return (string?)(await Client.ResolvedScanAsync(appKey, response))["outcome"];
    }

    /// <summary>The rule cache follows the event on every instance; a scan right after may still see the old state.</summary>
    private async Task<string?> WaitForOutcomeAsync(string appKey, byte[] targetImage, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? outcome;
        do outcome = await ScanOutcomeAsync(appKey, targetImage, "user");
        while (outcome != expected && DateTime.UtcNow < deadline);
        return outcome;
    }

    /// <summary>How long until the route answers <paramref name="expected"/> (null: anything but 401) for the key.</summary>
    private async Task<TimeSpan> WaitForStatusAsync(Uri service, string path, string key, HttpStatusCode? expected)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var response = await Client.SendAsync(HttpMethod.Get, service, path, key);
            if (expected is null ? response.StatusCode != HttpStatusCode.Unauthorized : response.StatusCode == expected) return stopwatch.Elapsed;
            await Task.Delay(20);
        }
        return stopwatch.Elapsed;
    }
}
