using ArFleet.Webhooks.Receiver;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>The queue's and the endpoint store's SQL against the real PostgreSQL, on a database of each test's own.</summary>
public sealed class DeliveryQueueTests : IAsyncLifetime
{
    private WebhookDatabase database = null!;
    private DeliveryQueue queue = null!;
    private EndpointStore store = null!;
    private DeliveryRetention retention = null!;
    private Guid tenant;

    public async Task InitializeAsync()
    {
        database = await WebhookDatabase.CreateAsync();
        (queue, store, tenant) = (database.Queue, database.Store, database.Tenant);
        retention = new DeliveryRetention(database.Db, Options.Create(new WebhookOptions()), TimeProvider.System, NullLogger<DeliveryRetention>.Instance);
    }

    /// <summary>The secrets a claim of a new delivery to the endpoint signs with.</summary>
    private async Task<string[]> SecretsOfAsync(Guid endpoint, DeliveryQueue? claimer = null)
    {
        await queue.EnqueueAsync([endpoint], WebhookEventTypes.ScanResolved, $"secrets:{Guid.NewGuid()}", "{}", null, CancellationToken.None);
        return (await database.ClaimAllAsync(claimer)).Single(c => c.EndpointId == endpoint).Target.Secrets;
    }

    [Fact]
    public async Task Claims_take_at_most_the_per_endpoint_cap_counting_what_is_held_already()
    {
        var busy = await database.EndpointAsync();
        await database.EnqueueAsync(20, "backlog"); // 20 for busy
        var quiet = await database.EndpointAsync();
        await database.EnqueueAsync(3, "later"); // 3 more for each

        var claimed = await queue.ClaimDueAsync(max: 30, perEndpoint: 4, new Dictionary<Guid, int>(), CancellationToken.None);
        Assert.Equal(4, claimed.Count(c => c.EndpointId == busy));
        Assert.Equal(3, claimed.Count(c => c.EndpointId == quiet));
        Assert.All(claimed, c => Assert.Equal(c.EndpointId, c.Target.EndpointId));
        Assert.All(claimed, c => Assert.StartsWith("https://hooks.example/", c.Target.Url));

        await database.EnqueueAsync(2, "more");
        var next = await queue.ClaimDueAsync(max: 30, perEndpoint: 4, new Dictionary<Guid, int> { [busy] = 4, [quiet] = 1 }, CancellationToken.None);
        Assert.All(next, c => Assert.Equal(quiet, c.EndpointId));
        Assert.Equal(2, next.Count);
        var last = await queue.ClaimDueAsync(max: 30, perEndpoint: 4, new Dictionary<Guid, int> { [busy] = 3 }, CancellationToken.None);
        Assert.Equal(busy, Assert.Single(last).EndpointId);
    }

    [Fact]
    public async Task Instances_claiming_at_once_never_claim_one_delivery_twice_and_leave_none_behind()
    {
        for (var e = 0; e < 4; e++) await database.EndpointAsync();
        await database.EnqueueAsync(400, "race"); // 1,600 deliveries
        var instances = Enumerable.Range(0, 8).Select(_ => database.NewQueue(store)).ToArray();

        // Each instance claims small batches until nothing is left, holding what it claimed (leased, never recorded).
        var claims = await Task.WhenAll(instances.Select(instance => Task.Run(async () =>
        {
            var mine = new List<Guid>();
            while (await instance.ClaimDueAsync(max: 8, perEndpoint: 1000, new Dictionary<Guid, int>(), CancellationToken.None) is { Count: > 0 } batch)
                mine.AddRange(batch.Select(c => c.DeliveryId));
            return mine;
        })));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(1600, all.Count);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE locked_until IS NULL OR locked_until < now()"));
    }

    [Fact]
    public async Task After_a_rotation_a_claim_carries_both_secrets_until_the_previous_one_expires()
    {
        var endpoint = await database.EndpointAsync("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var fresh = WebhookSigner.NewSecret();
        Assert.True(await store.RotateSecretAsync(tenant, endpoint, fresh, DateTimeOffset.UtcNow.AddHours(24), CancellationToken.None));
        var secrets = await SecretsOfAsync(endpoint);
        Assert.Equal([fresh, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], secrets);
        // One timestamp for signing and verifying: read twice, it can cross a second boundary on a busy machine.
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = WebhookSigner.Sign(secrets, "msg_1", timestamp, "{}");
        new WebhookVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").Verify("msg_1", timestamp.ToString(), signature, "{}");
        new WebhookVerifier(fresh).Verify("msg_1", timestamp.ToString(), signature, "{}");

        var again = WebhookSigner.NewSecret();
        Assert.True(await store.RotateSecretAsync(tenant, endpoint, again, DateTimeOffset.UtcNow.AddSeconds(-1), CancellationToken.None));
        Assert.Equal([again], await SecretsOfAsync(endpoint));
        Assert.False(await store.RotateSecretAsync(Guid.NewGuid(), endpoint, again, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task Retention_deletes_old_finished_deliveries_with_their_attempts_and_keeps_pending_ones()
    {
        var endpoint = await database.EndpointAsync();
        await database.EnqueueAsync(3, "old");
        var claimed = await database.ClaimAllAsync();
        var now = DateTimeOffset.UtcNow;
        await database.Bookkeeping.WriteAsync(
        [
            new DeliveryAttempt(claimed[0].DeliveryId, endpoint, now, 204, null, 5, true, null),
            new DeliveryAttempt(claimed[1].DeliveryId, endpoint, now, 500, null, 5, false, null), // out of retries
            new DeliveryAttempt(claimed[2].DeliveryId, endpoint, now, 500, null, 5, false, now.AddHours(1)), // still pending
        ], CancellationToken.None);
        await using (var age = database.Db.CreateCommand("UPDATE deliveries SET created_at = now() - interval '31 days'")) await age.ExecuteNonQueryAsync();
        await database.EnqueueAsync(1, "recent");

        Assert.Equal(2, await retention.DeleteFinishedBeforeAsync(DateTimeOffset.UtcNow.AddDays(-30), CancellationToken.None));
        var left = await queue.DeliveriesAsync(endpoint, CancellationToken.None);
        Assert.Equal(2, left.Count);
        Assert.All(left, d => Assert.Equal(DeliveryStatus.Pending, d.Status));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM delivery_attempts"));
    }

    [Fact]
    public async Task Secrets_are_stored_encrypted_and_another_instance_decrypts_them_with_the_keys_in_the_database()
    {
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var endpoint = await database.EndpointAsync(secret);
        var fresh = WebhookSigner.NewSecret();
        Assert.True(await store.RotateSecretAsync(tenant, endpoint, fresh, DateTimeOffset.UtcNow.AddHours(1), CancellationToken.None));

        var stored = await database.ScalarAsync<string>("SELECT secret || ' ' || previous_secret FROM endpoints WHERE id = $1", endpoint);
        Assert.DoesNotContain(secret["whsec_".Length..], stored);
        Assert.DoesNotContain(fresh["whsec_".Length..], stored);
        Assert.DoesNotContain("whsec_", stored);
        Assert.True(await database.ScalarAsync<long>("SELECT count(*) FROM data_protection_keys") >= 1);

        var otherInstance = database.NewQueue(new EndpointStore(database.Db, database.NewSecrets()));
        Assert.Equal([fresh, secret], await SecretsOfAsync(endpoint, otherInstance));
    }

    [Fact]
    public async Task Deleting_an_endpoint_deletes_its_deliveries_and_their_attempts()
    {
        var endpoint = await database.EndpointAsync();
        var kept = await database.EndpointAsync();
        await database.EnqueueAsync(2, "doomed");
        await database.Bookkeeping.WriteAsync([.. (await database.ClaimAllAsync()).Select(d =>
            new DeliveryAttempt(d.DeliveryId, d.EndpointId, DateTimeOffset.UtcNow, 500, null, 5, false, DateTimeOffset.UtcNow.AddHours(1)))],
            CancellationToken.None);

        Assert.True(await store.DeleteAsync(tenant, endpoint, CancellationToken.None));
        Assert.False(await store.DeleteAsync(tenant, endpoint, CancellationToken.None));
        Assert.Empty(await queue.DeliveriesAsync(endpoint, CancellationToken.None));
        Assert.Equal(2, (await queue.DeliveriesAsync(kept, CancellationToken.None)).Count);
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(*) FROM delivery_attempts"));
    }

    public async Task DisposeAsync() => await database.DisposeAsync();
}
