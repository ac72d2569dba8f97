using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using ArFleet.Testing;
using MassTransit;
using StackExchange.Redis;

namespace ArFleet.EndToEndTests;

/// <summary>Recognition removes a scan's frame once it has answered and keeps the answer instead: a ScanSubmitted
/// delivered again (as after a broker restart that lost the acknowledgement) gets the same answer, not "scan again".</summary>
[Collection(FleetCollection.Name)]
public sealed class ScanRedeliveryTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    [Fact]
    public async Task A_scan_delivered_again_after_its_frame_was_removed_is_answered_as_before()
    {
        var brand = await Client.CreateTenantAsync("Redelivery brand", "brand");
        var app = await Client.CreateTenantAsync("Redelivery app", "app");
        var (targetId, targetImage) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 960);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: 5));
        using var submitted = await Client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(targetImage, seed: 961).Jpeg, "redelivery-user",
            "redelivery-device");
        var scan = await Client.ResolvedScanAsync(app.ApiKey, submitted);
        Assert.Equal("rewarded", (string?)scan["outcome"]);
        var scanId = Guid.Parse((string)scan["scanId"]!);

        // The frame is gone; what was answered is kept, a small fraction of it.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Fleet.Redis);
        var keys = redis.GetDatabase();
        var frameKey = ImageClaimCheck.KeyFor(scanId);
        await WaitUntilAsync(async () => !await keys.KeyExistsAsync(frameKey)); // removed fire-and-forget, after the answer
        var kept = await keys.StringLengthAsync($"recognition:result:{scanId:N}");
        Assert.InRange(kept, 100, 5_000);

        var answered = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = await Fleet.StartBusAsync(cfg => cfg.ReceiveEndpoint(e =>
        {
            e.Handler<ScanRecognized>(c => c.Message.ScanId == scanId ? Answer(c.Message) : Task.CompletedTask);
            e.Handler<ScanUnrecognized>(c => c.Message.ScanId == scanId ? Answer(c.Message) : Task.CompletedTask);
        }));
        try
        {
            await bus.Publish(new ScanSubmitted(scanId, app.TenantId, "redelivery-user", "redelivery-device", null, frameKey, DateTimeOffset.UtcNow));
            var again = Assert.IsType<ScanRecognized>(await answered.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(targetId, again.Target.TargetId);
        }
        finally
        {
            await bus.StopAsync();
        }

        // The scan keeps its reward.
        var after = await Client.GetJsonAsync(Fleet.Ingest, $"/v1/scans/{scanId}", app.ApiKey);
        Assert.Equal("rewarded", (string?)after["outcome"]);
        var code = (string?)scan["reward"]!["voucherCode"];
        Assert.NotNull(code);
        Assert.Equal(code, (string?)after["reward"]!["voucherCode"]);

        Task Answer(object message)
        {
            answered.TrySetResult(message);
            return Task.CompletedTask;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The frame was not removed.");
            await Task.Delay(100);
        }
    }
}
