using System.Text.Json.Nodes;
using ArFleet.Contracts;
using ArFleet.Testing;
using MassTransit;

namespace ArFleet.EndToEndTests;

/// <summary>A message that can never be processed lands in the consumer's error queue with the reason, and the
/// consumer goes on with the next message.</summary>
[Collection(FleetCollection.Name)]
public sealed class PoisonMessageTests(FleetFixture fixture)
{
    [Fact]
    public async Task An_impossible_reward_request_goes_to_the_error_queue_with_its_reason_and_issuing_goes_on()
    {
        var fleet = fixture.Fleet;
        var resolved = new TaskCompletionSource<ScanResolved>(TaskCreationOptions.RunContinuationsAsynchronously);
        var goodScan = Guid.NewGuid();
        // Listens like another service would, on a temporary queue of its own.
        var bus = await fleet.StartBusAsync(cfg => cfg.ReceiveEndpoint(e => e.Handler<ScanResolved>(context =>
        {
            if (context.Message.ScanId == goodScan) resolved.TrySetResult(context.Message);
            return Task.CompletedTask;
        })));
        try
        {
            var poisonScan = Guid.NewGuid();
            await bus.Publish(Request(poisonScan, new RewardTerms(10, 500, "rmb", 30)));
            await bus.Publish(Request(goodScan, new RewardTerms(10, 500, "CNY", 30)));

            var fault = await WaitForErrorMessageAsync(fleet, "voucher-issuance-reward-requested_error");
            Assert.True(((string?)fault["properties"]?["headers"]?["MT-Fault-Message"])?.Contains("rmb") == true, fault.ToJsonString());
            Assert.Contains(poisonScan.ToString(), (string?)fault["payload"]);

            // The sound request behind it was issued: the consumer went on.
            var result = await resolved.Task.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(ScanOutcome.Rewarded, result.Outcome);
            Assert.True(fleet.Services["voucher-issuance"].IsRunning);
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private static RewardRequested Request(Guid scanId, RewardTerms terms) => new(scanId, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(),
        "user", "device", terms, new RewardLimits(1, 0, 0), new RecognizedTarget(Guid.NewGuid(), 0.9, []), null, DateTimeOffset.UtcNow);

    private static async Task<JsonObject> WaitForErrorMessageAsync(Fleet fleet, string queue)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var messages = await fleet.PeekMessagesAsync(queue, 1);
            if (messages.Count > 0) return messages[0]!.AsObject();
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Nothing arrived in {queue}");
            await Task.Delay(250);
        }
    }
}
