using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using ArFleet.Webhooks.Receiver;
using Npgsql;
using Xunit.Abstractions;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>Managing an endpoint over the real fleet: test event, PATCH, disabling and re-enabling, DELETE, and the
/// secret as the database keeps it.</summary>
[Collection(WebhookFleetCollection.Name)]
public sealed class EndpointManagementTests(WebhookFleetFixture fixture, ITestOutputHelper output)
{
    private ArFleetClient Client => fixture.Client;
    private Fleet Fleet => fixture.Fleet;

    [Fact]
    public async Task A_test_event_reaches_only_that_endpoint_signed_and_shows_in_its_log()
    {
        var brand = await Client.CreateTenantAsync("Testing", "brand");
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var sibling = await WebhookReceiver.StartAsync();
        var (endpointId, secret) = await Client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "voucher.issued"); // the test ignores the filter
        await Client.RegisterWebhookAsync(brand.ApiKey, sibling.Url);

        using var response = await Client.SendAsync(HttpMethod.Post, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/test", brand.ApiKey);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var test = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        var delivered = Assert.Single(await receiver.WaitForAsync(r => r.Count > 0, TimeSpan.FromSeconds(15)));
        new WebhookVerifier(secret).Verify(delivered.Id, delivered.Timestamp, delivered.Signature, delivered.Body);
        Assert.Equal((string?)test["webhookId"], delivered.Id);
        var body = JsonNode.Parse(delivered.Body)!;
        Assert.Equal("webhook.test", (string?)body["type"]);
        Assert.Equal(endpointId.ToString(), (string?)body["data"]!["endpointId"]);

        var log = await WaitForDeliveryAsync(brand.ApiKey, endpointId, (Guid)test["deliveryId"]!, "succeeded");
        Assert.Equal("webhook.test", (string?)log["eventType"]);
        Assert.Empty(sibling.Requests);
    }

    [Fact]
    public async Task Patch_changes_the_url_the_event_types_and_the_rate_limit()
    {
        var brand = await Client.CreateTenantAsync("Moving", "brand");
        await using var before = await WebhookReceiver.StartAsync();
        await using var after = await WebhookReceiver.StartAsync();
        var (endpointId, secret) = await Client.RegisterWebhookAsync(brand.ApiKey, before.Url, "voucher.issued");

        const int rate = 4;
        var patched = await PatchAsync(brand.ApiKey, endpointId, new { url = after.Url, eventTypes = new[] { "scan.resolved" }, rateLimitPerSecond = rate });
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal(after.Url, (string?)patched.Body["url"]);
        Assert.Equal(["scan.resolved"], patched.Body["eventTypes"]!.AsArray().Select(t => (string)t!));
        Assert.Equal(rate, (int?)patched.Body["rateLimitPerSecond"]);
        var read = await Client.GetJsonAsync(Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}", brand.ApiKey);
        Assert.Equal(patched.Body.ToJsonString(), read.ToJsonString());

        // The new URL and filter apply, with the same secret; the rate limit holds the burst to `rate` a second.
        const int events = 14;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < events; i++) await fixture.PublishScanResolvedAsync(brand.TenantId);
        var received = await after.WaitForAsync(r => r.Count >= events, TimeSpan.FromSeconds(30));
        var elapsed = stopwatch.Elapsed;
        Assert.Equal(events, received.Count);
        Assert.All(received, r => new WebhookVerifier(secret).Verify(r.Id, r.Timestamp, r.Signature, r.Body));
        Assert.Empty(before.Requests);
        // A bucket of `rate` tokens refilled at `rate` a second lets at most rate * (1 + seconds) through.
        var minimum = TimeSpan.FromSeconds((double)(events - rate) / rate);
        output.WriteLine($"{events} deliveries at {rate}/s took {elapsed.TotalSeconds:0.0} s (at least {minimum.TotalSeconds:0.0} s expected)");
        Assert.True(elapsed >= minimum - TimeSpan.FromSeconds(0.3), $"{events} deliveries took only {elapsed}");

        // 0 returns to the default; absent fields stay.
        var reset = await PatchAsync(brand.ApiKey, endpointId, new { rateLimitPerSecond = 0 });
        Assert.Equal(HttpStatusCode.OK, reset.Status);
        Assert.Null(reset.Body["rateLimitPerSecond"]);
        Assert.Equal(after.Url, (string?)reset.Body["url"]);

        Assert.Equal(HttpStatusCode.BadRequest, (await PatchAsync(brand.ApiKey, endpointId, new { url = "https://10.0.0.1/hooks" })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PatchAsync(brand.ApiKey, endpointId, new { eventTypes = new[] { "nope" } })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PatchAsync(brand.ApiKey, endpointId, new { rateLimitPerSecond = 100_000 })).Status);
        var other = await Client.CreateTenantAsync("Not the owner", "brand");
        Assert.Equal(HttpStatusCode.NotFound, (await PatchAsync(other.ApiKey, endpointId, new { rateLimitPerSecond = 1 })).Status);
    }

    [Fact]
    public async Task A_disabled_endpoint_is_enabled_again_and_receives_then_it_is_deleted_with_its_deliveries()
    {
        var brand = await Client.CreateTenantAsync("Gone and back", "brand");
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => Task.FromResult(410);
        var (endpointId, secret) = await Client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "scan.resolved");

        await fixture.PublishScanResolvedAsync(brand.TenantId);
        var endpoint = await WaitForEndpointAsync(brand.ApiKey, endpointId, e => e["disabledAt"] is not null);
        Assert.Contains("410", (string?)endpoint["disabledReason"]);
        using (var refused = await Client.SendAsync(HttpMethod.Post, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/test", brand.ApiKey))
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);

        receiver.Respond = _ => Task.FromResult(204);
        using (var enable = await Client.SendAsync(HttpMethod.Post, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/enable", brand.ApiKey))
        {
            Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
            var enabled = (await enable.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Null(enabled["disabledAt"]);
            Assert.Null(enabled["disabledReason"]);
        }
        using (var again = await Client.SendAsync(HttpMethod.Post, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/enable", brand.ApiKey))
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var scanId = await fixture.PublishScanResolvedAsync(brand.TenantId);
        var delivered = (await receiver.WaitForAsync(r => r.Any(d => d.Body.Contains(scanId.ToString())), TimeSpan.FromSeconds(15)))
            .Single(d => d.Body.Contains(scanId.ToString()));
        new WebhookVerifier(secret).Verify(delivered.Id, delivered.Timestamp, delivered.Signature, delivered.Body);

        var other = await Client.CreateTenantAsync("Not the owner", "brand");
        foreach (var (method, path) in new[] { (HttpMethod.Delete, ""), (HttpMethod.Post, "/enable"), (HttpMethod.Post, "/test") })
        {
            using var foreign = await Client.SendAsync(method, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}{path}", other.ApiKey);
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }

        using (var delete = await Client.SendAsync(HttpMethod.Delete, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}", brand.ApiKey))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        foreach (var path in new[] { "", "/deliveries" })
        {
            using var gone = await Client.SendAsync(HttpMethod.Get, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}{path}", brand.ApiKey);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        using (var twice = await Client.SendAsync(HttpMethod.Delete, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}", brand.ApiKey))
            Assert.Equal(HttpStatusCode.NotFound, twice.StatusCode);
        await using var db = NpgsqlDataSource.Create(Fleet.PostgresFor("isv-webhook"));
        await using var left = db.CreateCommand("SELECT count(*) FROM deliveries WHERE endpoint_id = $1");
        left.Parameters.AddWithValue(endpointId);
        Assert.Equal(0L, await left.ExecuteScalarAsync());

        var count = receiver.Requests.Count;
        await fixture.PublishScanResolvedAsync(brand.TenantId);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(count, receiver.Requests.Count);
    }

    [Fact]
    public async Task The_signing_secret_is_not_readable_in_the_database()
    {
        var brand = await Client.CreateTenantAsync("Secretive", "brand");
        await using var receiver = await WebhookReceiver.StartAsync();
        var (endpointId, secret) = await Client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "scan.resolved");

        await using var db = NpgsqlDataSource.Create(Fleet.PostgresFor("isv-webhook"));
        await using var read = db.CreateCommand("SELECT secret FROM endpoints WHERE id = $1");
        read.Parameters.AddWithValue(endpointId);
        var stored = (string)(await read.ExecuteScalarAsync())!;
        Assert.DoesNotContain(secret["whsec_".Length..], stored);
        Assert.DoesNotContain("whsec_", stored);
        Assert.DoesNotContain(Convert.ToHexString(Convert.FromBase64String(secret["whsec_".Length..])), stored, StringComparison.OrdinalIgnoreCase);

        // And the service still signs with it.
        var scanId = await fixture.PublishScanResolvedAsync(brand.TenantId);
        var delivered = (await receiver.WaitForAsync(r => r.Count > 0, TimeSpan.FromSeconds(15))).Single();
        Assert.Contains(scanId.ToString(), delivered.Body);
        new WebhookVerifier(secret).Verify(delivered.Id, delivered.Timestamp, delivered.Signature, delivered.Body);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> PatchAsync(string key, Guid endpointId, object change)
    {
        using var response = await Client.SendAsync(HttpMethod.Patch, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}", key, JsonContent.Create(change));
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!);
    }

    private async Task<JsonObject> WaitForEndpointAsync(string key, Guid endpointId, Func<JsonObject, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var endpoint = await Client.GetJsonAsync(Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}", key);
            if (done(endpoint) || DateTime.UtcNow > deadline) return endpoint;
            await Task.Delay(200);
        }
    }

    private async Task<JsonObject> WaitForDeliveryAsync(string key, Guid endpointId, Guid deliveryId, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var response = await Client.SendAsync(HttpMethod.Get, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/deliveries", key);
            var delivery = (await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(d => d!.AsObject())
                .Single(d => (string?)d["deliveryId"] == deliveryId.ToString());
            if ((string?)delivery["status"] == status || DateTime.UtcNow > deadline) return delivery;
            await Task.Delay(200);
        }
    }
}
