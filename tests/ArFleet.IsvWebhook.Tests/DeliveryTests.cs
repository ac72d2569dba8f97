using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using ArFleet.Webhooks.Receiver;
using Xunit.Abstractions;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>Deliveries over the real servers and service processes, the schedule compressed (see the fixture).</summary>
[Collection(WebhookFleetCollection.Name)]
public sealed class DeliveryTests(WebhookFleetFixture fixture, ITestOutputHelper output)
{
    private ArFleetClient Client => fixture.Client;
    private Fleet Fleet => fixture.Fleet;

    [Fact]
    public async Task A_receiver_that_is_down_then_fails_then_recovers_gets_every_event_and_the_log_has_every_attempt()
    {
        var brand = await Client.CreateTenantAsync("Down then up", "brand");
        var port = Fleet.FreePort();
        var (endpointId, secret) = await Client.RegisterWebhookAsync(brand.ApiKey, $"http://127.0.0.1:{port}/hooks", "scan.resolved");

        var scanIds = new List<Guid>();
        for (var i = 0; i < 10; i++) scanIds.Add(await fixture.PublishScanResolvedAsync(brand.TenantId));
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // down: nothing listens on the port

        var answered = new ConcurrentQueue<(string? Id, int Status)>();
        var recovered = false;
        await using var receiver = await WebhookReceiver.StartAsync(port);
        receiver.Respond = r =>
        {
            var status = Volatile.Read(ref recovered) ? 204 : 500;
            answered.Enqueue((r.Id, status));
            return Task.FromResult(status);
        };
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // up, but answering 500
        Volatile.Write(ref recovered, true);

        var deliveries = await WaitForDeliveriesAsync(brand.ApiKey, endpointId, scanIds.Count, d => (string?)d["status"] == "succeeded",
            TimeSpan.FromSeconds(30));
        Assert.Equal(scanIds.Count, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal("succeeded", (string?)d["status"]));

        // Every event arrived with a 2xx answer, under one webhook-id that every retry of it carried.
        var received = receiver.Requests.ToList();
        var verifier = new WebhookVerifier(secret);
        Assert.All(received, r => verifier.Verify(r.Id, r.Timestamp, r.Signature, r.Body));
        var byId = received.GroupBy(r => r.Id!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.All(byId.Values, requests => Assert.Single(requests.Select(r => r.Body).Distinct()));
        Assert.Equal(scanIds.Select(id => id.ToString()).Order(), byId.Values.Select(r => (string)JsonNode.Parse(r[0].Body)!["data"]!["scanId"]!).Order());
        var accepted = answered.Where(a => a.Status == 204).Select(a => a.Id).ToHashSet();
        Assert.Equal(byId.Keys.Order(), accepted.Order()!);

        // The log has every attempt: the refused connections, each 500 the receiver answered, and the success.
        foreach (var delivery in deliveries)
        {
            var webhookId = (string)delivery["webhookId"]!;
            var log = delivery["attemptLog"]!.AsArray();
            Assert.Equal((int)delivery["attempts"]!, log.Count);
            Assert.Equal(204, (int?)log[^1]!["statusCode"]);
            Assert.Equal(answered.Count(a => a.Id == webhookId && a.Status == 500), log.Count(a => (int?)a!["statusCode"] == 500));
            Assert.Equal(byId[webhookId].Count, log.Count(a => a!["statusCode"] is not null));
        }
        // It was down at first: refused connections are attempts too (the circuit breaker held back the rest, without attempts).
        Assert.Contains(deliveries.SelectMany(d => d["attemptLog"]!.AsArray()), a => a!["statusCode"] is null && ((string?)a["error"])?.Length > 0);
        output.WriteLine($"{deliveries.Count} deliveries, {deliveries.Sum(d => (int)d["attempts"]!)} attempts in the log, {received.Count} requests received");
    }

    [Fact]
    public async Task A_hanging_endpoint_does_not_delay_a_healthy_one()
    {
        var brand = await Client.CreateTenantAsync("Hanging and healthy", "brand");
        await using var hanging = await WebhookReceiver.StartAsync();
        await using var healthy = await WebhookReceiver.StartAsync();
        hanging.Respond = _ => hanging.Hang();
        await Client.RegisterWebhookAsync(brand.ApiKey, hanging.Url, "scan.resolved");
        await Client.RegisterWebhookAsync(brand.ApiKey, healthy.Url, "scan.resolved");

        // More events than the dispatcher has slots (32): without isolation the hanging endpoint would hold them all.
        const int events = 60;
        var published = new ConcurrentDictionary<string, DateTimeOffset>();
        for (var i = 0; i < events; i++)
        {
            published[(await fixture.PublishScanResolvedAsync(brand.TenantId)).ToString()] = DateTimeOffset.UtcNow;
            await Task.Delay(50);
        }
        var received = await healthy.WaitForAsync(r => r.Select(ScanId).Distinct().Count() >= events, TimeSpan.FromSeconds(30));

        var latencies = received.GroupBy(ScanId).Select(g => (g.Min(r => r.At) - published[g.Key]).TotalMilliseconds).Order().ToArray();
        Assert.Equal(events, latencies.Length);
        var (median, p95, max) = (latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.95)], latencies[^1]);
        output.WriteLine($"healthy endpoint beside a hanging one (timeout {WebhookFleetFixture.Timeout.TotalSeconds} s): " +
            $"publish → received median {median:0} ms, p95 {p95:0} ms, max {max:0} ms over {events} events; " +
            $"hanging endpoint got {hanging.Requests.Count} requests");
        Assert.True(max < 1500, $"the healthy endpoint waited up to {max:0} ms");
        Assert.InRange(hanging.Requests.Count, 1, events); // it was tried, but its circuit opened before it took every slot
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_sign_so_either_verifies()
    {
        var brand = await Client.CreateTenantAsync("Rotating", "brand");
        await using var receiver = await WebhookReceiver.StartAsync();
        var (endpointId, oldSecret) = await Client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "scan.resolved");

        using var response = await Client.SendAsync(HttpMethod.Post, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/rotate-secret", brand.ApiKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var newSecret = (string)rotated["secret"]!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.InRange((DateTimeOffset)rotated["previousSecretExpiresAt"]!, DateTimeOffset.UtcNow.AddHours(23.9), DateTimeOffset.UtcNow.AddHours(24.1));

        var scanId = await fixture.PublishScanResolvedAsync(brand.TenantId);
        var delivery = (await receiver.WaitForAsync(r => r.Any(d => d.Body.Contains(scanId.ToString())), TimeSpan.FromSeconds(15))).Single();
        Assert.Equal(2, delivery.Signature!.Split(' ').Length);
        new WebhookVerifier(oldSecret).Verify(delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body);
        new WebhookVerifier(newSecret).Verify(delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body);

        var other = await Client.CreateTenantAsync("Someone else", "brand");
        using var foreign = await Client.SendAsync(HttpMethod.Post, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/rotate-secret", other.ApiKey);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task An_endpoint_failing_for_the_whole_disable_period_is_disabled_and_the_others_are_told()
    {
        var brand = await Client.CreateTenantAsync("Failing", "brand");
        await using var failing = await WebhookReceiver.StartAsync();
        await using var other = await WebhookReceiver.StartAsync();
        failing.Respond = _ => Task.FromResult(500);
        var (failingId, _) = await Client.RegisterWebhookAsync(brand.ApiKey, failing.Url, "scan.resolved");
        var (_, otherSecret) = await Client.RegisterWebhookAsync(brand.ApiKey, other.Url, "voucher.issued"); // the notice ignores the filter

        var stopwatch = Stopwatch.StartNew();
        JsonObject endpoint;
        do
        {
            await fixture.PublishScanResolvedAsync(brand.TenantId); // steady traffic, every attempt failing
            await Task.Delay(500);
            endpoint = await Client.GetJsonAsync(Fleet.Webhooks, $"/v1/webhook-endpoints/{failingId}", brand.ApiKey);
        } while (endpoint["disabledAt"] is null && stopwatch.Elapsed < TimeSpan.FromSeconds(40));

        Assert.NotNull(endpoint["disabledAt"]);
        Assert.True(stopwatch.Elapsed >= WebhookFleetFixture.DisableAfter, $"disabled after {stopwatch.Elapsed}");
        Assert.Contains("failed since", (string?)endpoint["disabledReason"]);
        output.WriteLine($"disabled after {stopwatch.Elapsed.TotalSeconds:0.0} s of failures (setting {WebhookFleetFixture.DisableAfter.TotalSeconds} s)");

        var notice = (await other.WaitForAsync(r => r.Count > 0, TimeSpan.FromSeconds(10))).Single();
        new WebhookVerifier(otherSecret).Verify(notice.Id, notice.Timestamp, notice.Signature, notice.Body);
        var body = JsonNode.Parse(notice.Body)!;
        Assert.Equal("endpoint.disabled", (string?)body["type"]);
        Assert.Equal(failingId.ToString(), (string?)body["data"]!["endpointId"]);

        var deliveries = await WaitForDeliveriesAsync(brand.ApiKey, failingId, 1, _ => true, TimeSpan.Zero);
        Assert.DoesNotContain(deliveries, d => (string?)d["status"] == "pending");
        using var replay = await Client.SendAsync(HttpMethod.Post, Fleet.Webhooks, $"/v1/webhook-endpoints/{failingId}/replay", brand.ApiKey,
            JsonContent.Create(new { since = DateTimeOffset.UtcNow.AddHours(-1) }));
        Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
    }

    [Theory]
    [InlineData("http://10.0.0.1/hooks")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[fd00::1]/hooks")]
    [InlineData("https://[::ffff:10.0.0.1]/hooks")]
    [InlineData("https://[::a00:1]/hooks")]                                   // IPv4-compatible ::/96
    [InlineData("https://[64:ff9b:1::a00:1]/hooks")]                          // NAT64 local use
    [InlineData("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks")]      // Teredo
    [InlineData("https://[fec0::1]/hooks")]                                   // site-local
    public async Task Registration_answers_problem_details_for_internal_addresses(string url)
    {
        var brand = await Client.CreateTenantAsync("Curious", "brand");
        using var response = await Client.SendAsync(HttpMethod.Post, Fleet.Webhooks, "/v1/webhook-endpoints", brand.ApiKey,
            JsonContent.Create(new { url, eventTypes = new[] { "scan.resolved" } }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("may not reach", await response.Content.ReadAsStringAsync());
    }

    private static string ScanId(WebhookReceiver.Received r) => (string)JsonNode.Parse(r.Body)!["data"]!["scanId"]!;

    private async Task<List<JsonObject>> WaitForDeliveriesAsync(string key, Guid endpointId, int count, Func<JsonObject, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await Client.SendAsync(HttpMethod.Get, Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/deliveries", key);
            response.EnsureSuccessStatusCode();
            var deliveries = (await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(d => d!.AsObject()).ToList();
            if ((deliveries.Count >= count && deliveries.All(done)) || DateTime.UtcNow > deadline) return deliveries;
            await Task.Delay(200);
        }
    }
}
