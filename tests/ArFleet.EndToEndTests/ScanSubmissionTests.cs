using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using Npgsql;

namespace ArFleet.EndToEndTests;

/// <summary>The scans table as its own outbox: the broker's confirmations are marked, late and only on scans still
/// processing, and the relay sends again only a processing scan that has no mark.</summary>
[Collection(FleetCollection.Name)]
public sealed class ScanSubmissionTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    [Fact]
    public async Task A_resolved_scan_is_never_marked_nor_relayed_and_a_processing_scan_without_its_mark_is_sent_again()
    {
        var brand = await Client.CreateTenantAsync("Relay brand", "brand");
        var app = await Client.CreateTenantAsync("Relay app", "app");
        var (targetId, target) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 76);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId));
        await using var db = NpgsqlDataSource.Create(Fleet.PostgresFor("ingest"));

        using (var first = await Client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(target, seed: 1_060).Jpeg, "resolved-user", "phone-1"))
        {
            var resolved = await Client.ResolvedScanAsync(app.ApiKey, first);
            Assert.Equal("rewarded", (string?)resolved["outcome"]);
            var resolvedId = Guid.Parse((string)resolved["scanId"]!);
            await Task.Delay(TimeSpan.FromSeconds(2)); // past the marks' delay of one second
            Assert.Equal((false, "resolved"), await RowAsync(db, resolvedId));

            Guid processingId = default;
            await Fleet.RestartAsync("recognition", async () =>
            {
                var frame = TestImages.CameraScan(target, seed: 1_061).Jpeg;
                using var second = await Client.SubmitScanAsync(app.ApiKey, frame, "waiting-user", "phone-2", wait: 0);
                Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
                processingId = Guid.Parse((string)(await second.Content.ReadFromJsonAsync<JsonObject>())!["scanId"]!);
                // Confirmed by the broker and still processing (no recognition runs): marked.
                await UntilAsync(async () => await RowAsync(db, processingId) == (true, "processing"), TimeSpan.FromSeconds(10));

                // As if the mark had been lost with a crash: the relay sends the scan again, and marks it.
                await using (var unmark = db.CreateCommand("UPDATE scans SET submitted = false WHERE id = $1"))
                {
                    unmark.Parameters.AddWithValue(processingId);
                    await unmark.ExecuteNonQueryAsync();
                }
                await UntilAsync(async () => (await RowAsync(db, processingId)).Submitted, TimeSpan.FromSeconds(30));
                // Two more relay passes: the resolved scan, unmarked and older than RelayAfter, is not among what was sent.
                await Task.Delay(TimeSpan.FromSeconds(5));
                var waiting = (await Fleet.PeekMessagesAsync("recognition-scan-submitted", 10)).Select(m => (string)m!["payload"]!).ToList();
                Assert.Equal(2, waiting.Count(payload => payload.Contains(processingId.ToString(), StringComparison.Ordinal)));
                Assert.DoesNotContain(waiting, payload => payload.Contains(resolvedId.ToString(), StringComparison.Ordinal));
            });

            // Recognition back: the scan sent twice resolves once, with one reward.
            JsonObject scan;
            var deadline = DateTime.UtcNow.AddSeconds(90);
            do scan = await Client.GetJsonAsync(Fleet.Ingest, $"/v1/scans/{processingId}?wait=10", app.ApiKey);
            while ((string?)scan["status"] == "processing" && DateTime.UtcNow < deadline);
            Assert.Equal("rewarded", (string?)scan["outcome"]);
            Assert.Equal((false, "resolved"), await RowAsync(db, resolvedId));
        }
    }

    private static async Task<(bool Submitted, string Status)> RowAsync(NpgsqlDataSource db, Guid scanId)
    {
        await using var command = db.CreateCommand("SELECT submitted, status FROM scans WHERE id = $1");
        command.Parameters.AddWithValue(scanId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"scan {scanId} is not stored");
        return (reader.GetBoolean(0), reader.GetString(1));
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {timeout}");
            await Task.Delay(200);
        }
    }
}
