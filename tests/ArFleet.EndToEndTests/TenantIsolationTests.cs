using System.Net;
using System.Net.Http.Json;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>Every resource of the API: another tenant's id answers 404 and never shows in its lists; a key of the
/// wrong kind answers 403; no key answers 401.</summary>
[Collection(FleetCollection.Name)]
public sealed class TenantIsolationTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    [Fact]
    public async Task A_tenant_never_sees_or_touches_another_tenants_resources()
    {
        var brandA = await Client.CreateTenantAsync("Brand A", "brand");
        var brandB = await Client.CreateTenantAsync("Brand B", "brand");
        var appA = await Client.CreateTenantAsync("App A", "app");
        var appB = await Client.CreateTenantAsync("App B", "app");
        var isv = await Client.CreateTenantAsync("ISV", "isv");

        var (targetId, image) = await Client.CreateActiveTargetAsync(brandA.ApiKey, seed: 21);
        var campaignId = await Client.CreateCampaignAsync(brandA.ApiKey, ArFleetClient.VoucherCampaign(targetId));
        var (endpointId, _) = await Client.RegisterWebhookAsync(brandA.ApiKey, "http://127.0.0.1:9/never-called");
        using var grant = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/isv-grants", brandA.ApiKey,
            JsonContent.Create(new { isvTenantId = isv.TenantId }));
        Assert.Equal(HttpStatusCode.Created, grant.StatusCode);
        using var scan = await Client.SubmitScanAsync(appA.ApiKey, TestImages.CameraScan(image, seed: 3).Jpeg, "alice", "phone");
        var scanBody = await Client.ResolvedScanAsync(appA.ApiKey, scan);
        Assert.Equal("rewarded", (string?)scanBody["outcome"]);
        var code = (string)scanBody["reward"]!["voucherCode"]!;

        // Brand B: 404 for every one of brand A's ids, whatever the verb.
        var foreign = new (HttpMethod Method, Uri Service, string Path, object? Body)[]
        {
            (HttpMethod.Get, Fleet.Campaigns, $"/v1/targets/{targetId}", null),
            (HttpMethod.Delete, Fleet.Campaigns, $"/v1/targets/{targetId}", null),
            (HttpMethod.Post, Fleet.Campaigns, $"/v1/targets/{targetId}/deactivate", null),
            (HttpMethod.Post, Fleet.Campaigns, $"/v1/targets/{targetId}/activate", null),
            (HttpMethod.Get, Fleet.Campaigns, $"/v1/campaigns/{campaignId}", null),
            (HttpMethod.Put, Fleet.Campaigns, $"/v1/campaigns/{campaignId}", ArFleetClient.VoucherCampaign(targetId)),
            (HttpMethod.Post, Fleet.Campaigns, $"/v1/campaigns/{campaignId}/pause", null),
            (HttpMethod.Post, Fleet.Campaigns, $"/v1/campaigns/{campaignId}/end", null),
            (HttpMethod.Delete, Fleet.Campaigns, $"/v1/isv-grants/{isv.TenantId}", null),
            (HttpMethod.Get, Fleet.Vouchers, $"/v1/vouchers/{code}", null),
            (HttpMethod.Post, Fleet.Vouchers, $"/v1/vouchers/{code}/redeem", null),
            (HttpMethod.Get, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}", null),
            (HttpMethod.Get, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/deliveries", null),
            (HttpMethod.Post, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/replay", new { since = DateTimeOffset.UtcNow.AddDays(-1) }),
        };
        foreach (var (method, service, path, body) in foreign)
        {
            using var response = await Client.SendAsync(method, service, path, brandB.ApiKey, body is null ? null : JsonContent.Create(body));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path} as another brand answered {(int)response.StatusCode}");
        }
        using (var otherApp = await Client.SendAsync(HttpMethod.Get, Fleet.Ingest, $"/v1/scans/{scanBody["scanId"]}", appB.ApiKey))
            Assert.Equal(HttpStatusCode.NotFound, otherApp.StatusCode);

        // ... and brand A's resources are absent from brand B's lists.
        foreach (var (service, path) in new[] { (Fleet.Campaigns, "/v1/targets"), (Fleet.Campaigns, "/v1/campaigns"), (Fleet.Webhooks, "/v1/webhook-endpoints"),
            (Fleet.Campaigns, "/v1/isv-grants") })
        {
            using var list = await Client.SendAsync(HttpMethod.Get, service, path, brandB.ApiKey);
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            var text = await list.Content.ReadAsStringAsync();
            Assert.DoesNotContain(targetId.ToString(), text);
            Assert.DoesNotContain(campaignId.ToString(), text);
            Assert.DoesNotContain(endpointId.ToString(), text);
            Assert.DoesNotContain(isv.TenantId.ToString(), text);
        }

        // The granted ISV reads brand A's campaign, but cannot change it.
        var seenByIsv = await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}", isv.ApiKey);
        Assert.Equal(campaignId.ToString(), (string?)seenByIsv["campaignId"]);
        using (var isvList = await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, "/v1/campaigns", isv.ApiKey))
            Assert.Contains(campaignId.ToString(), await isvList.Content.ReadAsStringAsync());
        using (var isvPause = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/campaigns/{campaignId}/pause", isv.ApiKey))
            Assert.Equal(HttpStatusCode.Forbidden, isvPause.StatusCode);

        // The owner still sees all of it.
        Assert.Equal("issued", (string?)(await Client.GetJsonAsync(Fleet.Vouchers, $"/v1/vouchers/{code}", brandA.ApiKey))["status"]);
    }

    [Fact]
    public async Task Each_kind_of_key_is_refused_where_it_does_not_belong_and_no_key_anywhere()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var isv = await Client.CreateTenantAsync("ISV", "isv");
        var routes = new (HttpMethod Method, Uri Service, string Path, string[] Allowed)[]
        {
            (HttpMethod.Post, Fleet.Campaigns, "/v1/tenants", ["admin"]),
            (HttpMethod.Get, Fleet.Campaigns, "/v1/targets", ["brand"]),
            (HttpMethod.Post, Fleet.Campaigns, "/v1/campaigns", ["brand"]),
            (HttpMethod.Get, Fleet.Campaigns, "/v1/campaigns", ["brand", "isv"]),
            (HttpMethod.Get, Fleet.Campaigns, "/v1/isv-grants", ["brand"]),
            (HttpMethod.Get, Fleet.Ingest, $"/v1/scans/{Guid.NewGuid()}", ["app"]),
            (HttpMethod.Get, Fleet.Vouchers, "/v1/vouchers/AAAAAAAAAAAAAAAAAA", ["brand"]),
            (HttpMethod.Get, Fleet.Webhooks, "/v1/webhook-endpoints", ["brand", "isv"]),
        };
        var keys = new Dictionary<string, string> { ["admin"] = Fleet.AdminKey, ["brand"] = brand.ApiKey, ["app"] = app.ApiKey, ["isv"] = isv.ApiKey };
        foreach (var (method, service, path, allowed) in routes)
        {
            using (var anonymous = await Client.SendAsync(method, service, path, null, method == HttpMethod.Post ? JsonContent.Create(new { }) : null))
                Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} without a key answered {(int)anonymous.StatusCode}");
            foreach (var (kind, key) in keys.Where(k => !allowed.Contains(k.Key)))
            {
                using var response = await Client.SendAsync(method, service, path, key, method == HttpMethod.Post ? JsonContent.Create(new { }) : null);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} with a {kind} key answered {(int)response.StatusCode}");
            }
        }
    }
}
