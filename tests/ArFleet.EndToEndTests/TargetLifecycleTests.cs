using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Contracts;
using ArFleet.Testing;
using MassTransit;
using Npgsql;

namespace ArFleet.EndToEndTests;

/// <summary>A target's life after grading: near duplicates are reported to their brand, deactivating or activating a
/// target reaches recognition at once, and a deleted target never comes back.</summary>
[Collection(FleetCollection.Name)]
public sealed class TargetLifecycleTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    [Fact]
    public async Task A_near_duplicate_of_the_brands_own_target_is_accepted_and_names_it_but_another_brands_copy_names_nothing()
    {
        var brand = await Client.CreateTenantAsync("Poster brand", "brand");
        var otherBrand = await Client.CreateTenantAsync("Copycat brand", "brand");
        var image = TestImages.Target(seed: 41);

        var firstId = await Client.UploadTargetAsync(brand.ApiKey, "poster", image);
        var first = await Client.WaitForTargetGradeAsync(brand.ApiKey, firstId);
        Assert.Equal("active", (string?)first["status"]);
        Assert.Null(first["nearDuplicateOf"]);

        var secondId = await Client.UploadTargetAsync(brand.ApiKey, "the same poster again", image);
        var second = await Client.WaitForTargetGradeAsync(brand.ApiKey, secondId);
        Assert.Equal("active", (string?)second["status"]);
        Assert.Equal(firstId.ToString(), (string?)second["nearDuplicateOf"]);
        var listed = (await (await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, "/v1/targets", brand.ApiKey)).Content.ReadFromJsonAsync<JsonArray>())!;
        Assert.Equal(firstId.ToString(), (string?)listed.Single(t => (string?)t!["targetId"] == secondId.ToString())!["nearDuplicateOf"]);

        // The same image under another brand is its own target: nothing of the first brand's is named.
        var copyId = await Client.UploadTargetAsync(otherBrand.ApiKey, "a copy", image);
        var copy = await Client.WaitForTargetGradeAsync(otherBrand.ApiKey, copyId);
        Assert.Equal("active", (string?)copy["status"]);
        Assert.Null(copy["nearDuplicateOf"]);
        using var otherList = await Client.SendAsync(HttpMethod.Get, Fleet.Campaigns, "/v1/targets", otherBrand.ApiKey);
        var otherText = await otherList.Content.ReadAsStringAsync();
        Assert.DoesNotContain(firstId.ToString(), otherText);
        Assert.DoesNotContain(secondId.ToString(), otherText);
    }

    [Fact]
    public async Task Two_brands_targets_that_differ_only_in_colour_are_each_recognised_as_their_own()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var otherBrand = await Client.CreateTenantAsync("Other brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        // One poster in two colours: in grey, which recognition's features see, they are the same image.
        var (image, twinImage) = TestImages.ColourTwins(seed: 44);
        var targetId = await Client.UploadTargetAsync(brand.ApiKey, "the poster", image);
        Assert.Equal("active", (string?)(await Client.WaitForTargetGradeAsync(brand.ApiKey, targetId))["status"]);
        var twinId = await Client.UploadTargetAsync(otherBrand.ApiKey, "the poster in other colours", twinImage);
        Assert.Equal("active", (string?)(await Client.WaitForTargetGradeAsync(otherBrand.ApiKey, twinId))["status"]);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId));
        await Client.CreateCampaignAsync(otherBrand.ApiKey, ArFleetClient.VoucherCampaign(twinId));

        for (var seed = 0; seed < 3; seed++)
        {
            Assert.Equal(targetId.ToString(), await ScannedTargetAsync(app.ApiKey, image, 2 * seed));
            Assert.Equal(twinId.ToString(), await ScannedTargetAsync(app.ApiKey, twinImage, 2 * seed + 1));
        }
    }

    [Fact]
    public async Task A_deactivated_target_is_not_recognised_until_it_is_activated_again()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 42);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId));
        var scans = 0;
        Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, image, scans++));

        var deactivated = await Transition(brand.ApiKey, targetId, "deactivate", HttpStatusCode.OK);
        Assert.Equal("inactive", (string?)deactivated["status"]);
        Assert.Equal("inactive", (string?)(await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/targets/{targetId}", brand.ApiKey))["status"]);
        // The event reaches every worker's index; recognition then finds nothing in the photo.
        Assert.Equal("unrecognized", await ScanUntilAsync(app.ApiKey, image, () => scans++, "unrecognized"));
        Assert.Equal("unrecognized", await ScanOutcomeAsync(app.ApiKey, image, scans++));
        // Stored for workers that start later.
        Assert.False(await WaitForStoredActiveAsync(targetId, false));
        await Transition(brand.ApiKey, targetId, "deactivate", HttpStatusCode.Conflict);

        var activated = await Transition(brand.ApiKey, targetId, "activate", HttpStatusCode.OK);
        Assert.Equal("active", (string?)activated["status"]);
        Assert.Equal("rewarded", await ScanUntilAsync(app.ApiKey, image, () => scans++, "rewarded"));
        Assert.True(await WaitForStoredActiveAsync(targetId, true));
        await Transition(brand.ApiKey, targetId, "activate", HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Only_the_owner_can_deactivate_a_target_and_only_an_active_one()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var otherBrand = await Client.CreateTenantAsync("Other brand", "brand");
        var (targetId, _) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 43);

        await Transition(otherBrand.ApiKey, targetId, "deactivate", HttpStatusCode.NotFound);
        await Transition(otherBrand.ApiKey, targetId, "activate", HttpStatusCode.NotFound);
        await Transition(brand.ApiKey, Guid.NewGuid(), "deactivate", HttpStatusCode.NotFound);
        Assert.Equal("active", (string?)(await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/targets/{targetId}", brand.ApiKey))["status"]);

        var plainId = await Client.UploadTargetAsync(brand.ApiKey, "plain", TestImages.Plain(400, 300));
        Assert.Equal("rejected", (string?)(await Client.WaitForTargetGradeAsync(brand.ApiKey, plainId))["status"]);
        await Transition(brand.ApiKey, plainId, "deactivate", HttpStatusCode.Conflict);
        await Transition(brand.ApiKey, plainId, "activate", HttpStatusCode.Conflict);
        Assert.Equal("rejected", (string?)(await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/targets/{plainId}", brand.ApiKey))["status"]);
    }

    [Fact]
    public async Task A_target_deleted_while_no_recognition_worker_runs_is_not_served_by_a_worker_started_afterwards()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var app = await Client.CreateTenantAsync("App", "app");
        var (keptId, keptImage) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 51);
        var (deletedId, deletedImage) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 52);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(keptId));

        await Fleet.RestartAsync("recognition", async () =>
        {
            using var response = await Client.SendAsync(HttpMethod.Delete, Fleet.Campaigns, $"/v1/targets/{deletedId}", brand.ApiKey);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        });

        // The new worker loaded the stored targets, but not the one deleted while no worker ran.
        Assert.Equal("rewarded", await ScanOutcomeAsync(app.ApiKey, keptImage, 0));
        Assert.Equal("unrecognized", await ScanOutcomeAsync(app.ApiKey, deletedImage, 1));
    }

    [Fact]
    public async Task A_target_whose_deletion_overtakes_its_grading_is_not_stored_by_the_late_grading()
    {
        var targetId = Guid.NewGuid();
        var tenantId = Guid.NewGuid();
        var deletionStored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var indexed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Publishes as campaign-rules would and listens on a temporary queue of its own.
        var bus = await Fleet.StartBusAsync(cfg => cfg.ReceiveEndpoint(e =>
        {
            e.Handler<TargetFeaturesDeleted>(context =>
            {
                if (context.Message.TargetId == targetId) deletionStored.TrySetResult();
                return Task.CompletedTask;
            });
            e.Handler<TargetIndexed>(context =>
            {
                if (context.Message.TargetId == targetId) indexed.TrySetResult();
                return Task.CompletedTask;
            });
        }));
        try
        {
            await bus.Publish(new TargetDeleted(targetId, tenantId, DateTimeOffset.UtcNow));
            await deletionStored.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await bus.Publish(new TargetImageSubmitted(targetId, tenantId, TestImages.Target(seed: 53), DateTimeOffset.UtcNow));
            // Graded and accepted, and the save has been tried before TargetIndexed is published.
            await indexed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await bus.StopAsync();
        }

        await using var db = NpgsqlDataSource.Create(Fleet.PostgresFor("recognition"));
        await using var command = db.CreateCommand(
            "SELECT count(*) FILTER (WHERE deleted_at IS NULL), count(*) FILTER (WHERE deleted_at IS NOT NULL) FROM target_features WHERE target_id = $1");
        command.Parameters.AddWithValue(targetId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((0L, 1L), (reader.GetInt64(0), reader.GetInt64(1)));
    }

    private async Task<string> ScanOutcomeAsync(string appKey, byte[] target, int seed)
    {
        using var response = await Client.SubmitScanAsync(appKey, TestImages.CameraScan(target, seed).Jpeg, $"user-{seed}", $"device-{seed}");
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Accepted });
        return (string)(await Client.ResolvedScanAsync(appKey, response))["outcome"]!;
    }

    private async Task<string?> ScannedTargetAsync(string appKey, byte[] target, int seed)
    {
        using var response = await Client.SubmitScanAsync(appKey, TestImages.CameraScan(target, seed).Jpeg, $"user-{seed}", $"device-{seed}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (string?)(await response.Content.ReadFromJsonAsync<JsonObject>())!["target"]?["targetId"];
    }

    /// <summary>Scans (a new user and photo each time) until the outcome is the expected one or 10 s have passed.</summary>
    private async Task<string> ScanUntilAsync(string appKey, byte[] target, Func<int> nextSeed, string expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string outcome;
        do outcome = await ScanOutcomeAsync(appKey, target, nextSeed());
        while (outcome != expected && DateTime.UtcNow < deadline);
        return outcome;
    }

    /// <summary>The flag recognition stored for the target, once it is the expected one or after 10 s.</summary>
    private async Task<bool> WaitForStoredActiveAsync(Guid targetId, bool expected)
    {
        await using var db = NpgsqlDataSource.Create(Fleet.PostgresFor("recognition"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await using var command = db.CreateCommand("SELECT active FROM target_features WHERE target_id = $1");
            command.Parameters.AddWithValue(targetId);
            var active = (bool)(await command.ExecuteScalarAsync())!;
            if (active == expected || DateTime.UtcNow > deadline) return active;
            await Task.Delay(100);
        }
    }

    private async Task<JsonObject> Transition(string key, Guid targetId, string verb, HttpStatusCode expected)
    {
        using var response = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, $"/v1/targets/{targetId}/{verb}", key);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{verb}: {(int)response.StatusCode} {body}");
        if (expected != HttpStatusCode.OK)
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!.AsObject();
    }
}
