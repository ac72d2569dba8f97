using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using Xunit.Abstractions;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>isv-webhook killed with SIGKILL in the middle of its deliveries: what it had claimed, sent or handed to its
/// bookkeeping but not written comes back after Webhooks:Lease, and the instance started again delivers it.</summary>
[Collection(WebhookFleetCollection.Name)]
public sealed class DispatcherCrashTests(WebhookFleetFixture fixture, ITestOutputHelper output)
{
    private const int Events = 40;

    [Fact]
    public async Task Killed_after_some_deliveries_and_started_again_it_delivers_every_event_and_leaves_none_pending()
    {
        var brand = await fixture.Client.CreateTenantAsync("Crash", "brand");
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = async _ =>
        {
            await Task.Delay(100); // slow enough for the kill to find sends in flight and outcomes not yet written
            return 204;
        };
        var (endpointId, _) = await fixture.Client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "scan.resolved");
        for (var i = 0; i < Events; i++) await fixture.PublishScanResolvedAsync(brand.TenantId);

        var beforeKill = await receiver.WaitForAsync(r => r.Count >= 10, TimeSpan.FromSeconds(30));
        fixture.Fleet.Kill("isv-webhook");
        Assert.True(beforeKill.Count >= 10, $"only {beforeKill.Count} deliveries arrived before the kill");
        Assert.True(beforeKill.Count < Events, "every delivery arrived before the kill: it tests nothing");
        await fixture.Fleet.StartServiceAsync("isv-webhook");

        var received = await receiver.WaitForAsync(r => r.Select(x => x.Id).Distinct().Count() >= Events,
            WebhookFleetFixture.Lease + TimeSpan.FromSeconds(60));
        Assert.Equal(Events, received.Select(r => r.Id).Distinct().Count());
        var deliveries = await DeliveriesAsync(brand.ApiKey, endpointId, d => d.Count == Events && d.All(x => (string?)x["status"] == "succeeded"));
        Assert.Equal(Events, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal("succeeded", (string?)d["status"]));
        output.WriteLine($"{beforeKill.Count} received before the kill, {received.Count} requests in all for {Events} events");
    }

    private async Task<List<JsonObject>> DeliveriesAsync(string key, Guid endpointId, Func<List<JsonObject>, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var response = await fixture.Client.SendAsync(HttpMethod.Get, fixture.Fleet.Webhooks, $"/v1/webhook-endpoints/{endpointId}/deliveries", key);
            response.EnsureSuccessStatusCode();
            var deliveries = (await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(d => d!.AsObject()).ToList();
            if (done(deliveries) || DateTime.UtcNow > deadline) return deliveries;
            await Task.Delay(200);
        }
    }
}
