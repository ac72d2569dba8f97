using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using ArFleet.Webhooks.Receiver;

namespace ArFleet.EndToEndTests;

/// <summary>One scan's whole way, app → ingest → recognition → campaign-rules → voucher-issuance → isv-webhook
/// → app, over the real servers.</summary>
[Collection(FleetCollection.Name)]
public sealed class ScanFlowTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    [Fact]
    public async Task A_budget_of_three_rewards_exactly_three_of_five_users_and_each_reward_reaches_the_isv_signed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var brand = await Client.CreateTenantAsync("Lucky Tea", "brand");
        var app = await Client.CreateTenantAsync("Scan App", "app");
        var (_, secret) = await Client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "scan.resolved", "voucher.issued");

        var targetImage = TestImages.Target(seed: 11);
        var targetId = await Client.UploadTargetAsync(brand.ApiKey, "Lucky Tea poster", targetImage);
        var target = await Client.WaitForTargetGradeAsync(brand.ApiKey, targetId);
        Assert.Equal("active", (string?)target["status"]);
        Assert.InRange((int)target["grade"]!, 2, 5);

        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, new
        {
            name = "Spring festival",
            targetIds = new[] { targetId },
            startsAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            endsAt = DateTimeOffset.UtcNow.AddHours(1),
            reward = new { type = "voucher", budget = 3, valueCents = 500, currency = "CNY", validDays = 30 },
            limits = new { perUser = 1 },
            action = new { type = "h5", url = "https://tea.example/spring" },
        });

        var scans = await Task.WhenAll(Enumerable.Range(1, 5).Select(async user =>
        {
            var photo = TestImages.CameraScan(targetImage, seed: 100 + user);
            using var response = await Client.SubmitScanAsync(app.ApiKey, photo.Jpeg, $"user-{user}", $"device-{user}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (Body: (await response.Content.ReadFromJsonAsync<JsonObject>())!, photo.Corners);
        }));

        Assert.All(scans, s =>
        {
            Assert.Equal("resolved", (string?)s.Body["status"]);
            Assert.Equal(targetId.ToString(), (string?)s.Body["target"]!["targetId"]);
            Assert.Equal("https://tea.example/spring", (string?)s.Body["action"]!["url"]);
            var corners = s.Body["target"]!["corners"]!.AsArray();
            for (var i = 0; i < 4; i++)
            {
                Assert.InRange((double)corners[i]![0]!, s.Corners[i].X - 15, s.Corners[i].X + 15);
                Assert.InRange((double)corners[i]![1]!, s.Corners[i].Y - 15, s.Corners[i].Y + 15);
            }
        });
        var rewarded = scans.Where(s => (string?)s.Body["outcome"] == "rewarded").ToList();
        Assert.Equal(3, rewarded.Count);
        Assert.Equal(2, scans.Count(s => (string?)s.Body["outcome"] == "budgetExhausted"));
        Assert.All(rewarded, s => Assert.Equal(500, (int)s.Body["reward"]!["valueCents"]!));
        Assert.Equal(3, rewarded.Select(s => (string?)s.Body["reward"]!["voucherCode"]).Distinct().Count());

        // Every rewarded scan reaches the ISV as a signed voucher.issued webhook.
        var rewardedScanIds = rewarded.Select(s => (string)s.Body["scanId"]!).ToHashSet();
        var deliveries = await receiver.WaitForAsync(r => VoucherIssuedScanIds(r).IsSupersetOf(rewardedScanIds), TimeSpan.FromSeconds(30));
        Assert.Superset(rewardedScanIds, VoucherIssuedScanIds(deliveries));
        var verifier = new WebhookVerifier(secret);
        Assert.All(deliveries, d => verifier.Verify(d.Id, d.Timestamp, d.Signature, d.Body));
        Assert.Throws<WebhookVerificationException>(() => verifier.Verify(deliveries[0].Id, deliveries[0].Timestamp, deliveries[0].Signature,
            deliveries[0].Body + " "));

        // One trace follows a scan through all five services, and on to the ISV's endpoint.
        var traced = rewarded[0];
        var traceId = (string)traced.Body["traceId"]!;
        var webhook = deliveries.First(d => d.Body.Contains((string)traced.Body["scanId"]!) && d.Body.Contains("voucher.issued"));
        Assert.Equal(traceId, webhook.TraceParent?.Split('-')[1]);
        // Every service on the bus took part (the web console is not on a scan's path).
        foreach (var service in Fleet.Services.Values.Where(s => Topology.Service(s.Name).Servers.Contains("rabbitmq")))
            Assert.True(service.Output.Contains(traceId), $"{service.Name} recorded no span of trace {traceId}");

        var campaign = await WaitForAsync(() => Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey),
            c => (long)c["issued"]! == 3);
        Assert.Equal(0, (long)campaign["remaining"]!);
    }

    [Fact]
    public async Task A_photo_without_any_registered_target_is_unrecognized()
    {
        var app = await Client.CreateTenantAsync("Scan App", "app");
        using var response = await Client.SubmitScanAsync(app.ApiKey, TestImages.UnrelatedPhoto(seed: 5), "someone", "phone");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var scan = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("resolved", (string?)scan["status"]);
        Assert.Equal("unrecognized", (string?)scan["outcome"]);
        Assert.Null(scan["target"]);
    }

    [Fact]
    public async Task The_same_idempotency_key_twice_is_one_scan()
    {
        var app = await Client.CreateTenantAsync("Scan App", "app");
        var photo = TestImages.UnrelatedPhoto(seed: 9);
        using var first = await Client.SubmitScanAsync(app.ApiKey, photo, "u", "d", wait: 0, idempotencyKey: "retry-42");
        using var second = await Client.SubmitScanAsync(app.ApiKey, photo, "u", "d", wait: 10, idempotencyKey: "retry-42");
        var firstScan = (await first.Content.ReadFromJsonAsync<JsonObject>())!;
        var secondScan = (await second.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((string?)firstScan["scanId"], (string?)secondScan["scanId"]);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        // Another app's identical key is another scan: keys are per tenant.
        var otherApp = await Client.CreateTenantAsync("Other App", "app");
        using var other = await Client.SubmitScanAsync(otherApp.ApiKey, photo, "u", "d", wait: 0, idempotencyKey: "retry-42");
        Assert.NotEqual((string?)firstScan["scanId"], (string?)(await other.Content.ReadFromJsonAsync<JsonObject>())!["scanId"]);
    }

    [Fact]
    public async Task An_idempotency_key_reused_with_another_request_answers_422_and_leaves_the_first_scan_unchanged()
    {
        var app = await Client.CreateTenantAsync("Scan App", "app");
        var photo = TestImages.UnrelatedPhoto(seed: 21);
        using var first = await Client.SubmitScanAsync(app.ApiKey, photo, "alice", "phone-a", wait: 10, idempotencyKey: "order-7");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var original = (await first.Content.ReadFromJsonAsync<JsonObject>())!;

        // Another user, another device, another image: each is another request, not a retry of the first.
        (string User, string Device, byte[] Image)[] others =
            [("mallory", "phone-a", photo), ("alice", "phone-m", photo), ("alice", "phone-a", TestImages.UnrelatedPhoto(seed: 22))];
        foreach (var (user, device, image) in others)
        {
            using var reused = await Client.SubmitScanAsync(app.ApiKey, image, user, device, wait: 0, idempotencyKey: "order-7");
            Assert.Equal(HttpStatusCode.UnprocessableEntity, reused.StatusCode);
            Assert.Equal("application/problem+json", reused.Content.Headers.ContentType?.MediaType);
            var problem = (await reused.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Contains("Idempotency-Key", (string?)problem["title"]);
            Assert.Null(problem["scanId"]);
        }

        // The first scan is as it was, and a true retry still answers it.
        var stored = await Client.GetJsonAsync(Fleet.Ingest, $"/v1/scans/{original["scanId"]}", app.ApiKey);
        Assert.Equal(original.ToJsonString(), stored.ToJsonString());
        using var retry = await Client.SubmitScanAsync(app.ApiKey, photo, "alice", "phone-a", wait: 0, idempotencyKey: "order-7");
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(original.ToJsonString(), (await retry.Content.ReadFromJsonAsync<JsonObject>())!.ToJsonString());
    }

    private static HashSet<string> VoucherIssuedScanIds(IEnumerable<WebhookReceiver.Received> received) =>
        received.Select(r => JsonNode.Parse(r.Body)!).Where(b => (string?)b["type"] == "voucher.issued")
            .Select(b => (string)b["data"]!["scanId"]!).ToHashSet();

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var value = await read();
        while (!done(value) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            value = await read();
        }
        return value;
    }
}
