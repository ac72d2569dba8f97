using System.Net;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>The five services in Dapr mode, as real processes: each reads its connection strings and the admin key
/// from the secret store through its "sidecar", none is given them in its environment, and ingest, voucher-issuance
/// and isv-webhook look keys up through service invocation with no campaign-rules URL at all. The sidecar is
/// <see cref="DaprSidecarStandIn"/>, a local HTTP server answering Dapr's documented invoke, secrets and health
/// routes IN PLACE OF daprd, which cannot be had here; campaign-rules behind it is the real one.</summary>
[Collection(FleetCollection.Name)]
public sealed class DaprModeFleetTests(FleetFixture fixture)
{
    private static readonly string[] Secrets = ["ConnectionStrings__rabbitmq", "ConnectionStrings__redis", "ConnectionStrings__postgres", "ARFLEET_ADMIN_KEY"];

    [Fact]
    public async Task A_scan_is_rewarded_with_settings_from_the_secret_store_and_keys_checked_through_the_sidecar()
    {
        await using var sidecar = await DaprSidecarStandIn.StartAsync(apiToken: "sidecar-token");
        var store = new Dictionary<string, Dictionary<string, string>>();
        sidecar.Stores["arfleet-secrets"] = store;
        await using var fleet = await Fleet.StartAsync(fixture.Fleet.Infrastructure, new Dictionary<string, string>(), (name, environment) =>
        {
            if (name == "console") return; // no servers, no keys to check: nothing for Dapr to do
            store["arfleet-" + name] = Secrets.Where(environment.ContainsKey).ToDictionary(k => k, k => environment[k]);
            foreach (var key in Secrets) environment.Remove(key);
            if (name == "campaign-rules") sidecar.Apps["campaign-rules"] = new Uri(environment["ASPNETCORE_URLS"]);
            else environment.Remove("Services__campaigns");
            environment["Dapr__Enabled"] = "true";
            environment["Dapr__HttpEndpoint"] = sidecar.Address.ToString();
            environment["Dapr__SecretStore"] = "arfleet-secrets";
            environment["Dapr__Secret"] = "arfleet-" + name;
            environment["DAPR_API_TOKEN"] = "sidecar-token";
        });
        using var client = new ArFleetClient(fleet);

        var brand = await client.CreateTenantAsync("Dapr brand", "brand"); // the admin key campaign-rules read from the store
        var app = await client.CreateTenantAsync("Dapr app", "app");
        await using var receiver = await WebhookReceiver.StartAsync();
        await client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "voucher.issued"); // isv-webhook checks the key
        var (targetId, image) = await client.CreateActiveTargetAsync(brand.ApiKey, seed: 960);
        await client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: 2));

        using var scan = await client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(image, seed: 961).Jpeg, "dapr-user",
            "dapr-device"); // ingest checks the key
        var result = await client.ResolvedScanAsync(app.ApiKey, scan);
        Assert.Equal("rewarded", (string?)result["outcome"]);
        var code = (string)result["reward"]!["voucherCode"]!;
        var voucher = await client.GetJsonAsync(fleet.Vouchers, $"/v1/vouchers/{code}", brand.ApiKey); // voucher-issuance checks the key
        Assert.Equal(code, (string?)voucher["code"]);
        await receiver.WaitForAsync(r => r.Any(d => d.Body.Contains(code)), TimeSpan.FromSeconds(30));
        using var unknown = await client.SendAsync(HttpMethod.Get, fleet.Vouchers, $"/v1/vouchers/{code}", "not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);

        Assert.All(store.Keys, secret => Assert.Contains(sidecar.Requests, r => r.Path == $"/v1.0/secrets/arfleet-secrets/{secret}"));
        var invocations = sidecar.Requests.Where(r => r.Path == "/v1.0/invoke/campaign-rules/method/v1/tenants/me").ToList();
        Assert.Contains(invocations, r => r.Authorization == $"Bearer {app.ApiKey}"); // ingest
        Assert.Contains(invocations, r => r.Authorization == $"Bearer {brand.ApiKey}"); // isv-webhook and voucher-issuance
        Assert.Contains(invocations, r => r.Authorization == "Bearer not-a-key");
        Assert.All(sidecar.Requests, r => Assert.Equal("sidecar-token", r.ApiToken));
    }
}
