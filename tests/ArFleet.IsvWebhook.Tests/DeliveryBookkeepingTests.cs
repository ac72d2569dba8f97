using static ArFleet.IsvWebhook.DeliveryStatus;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>The batched writes of what sends came to, against the real PostgreSQL, on a database of each test's own.</summary>
public sealed class DeliveryBookkeepingTests : IAsyncLifetime
{
    private WebhookDatabase database = null!;
    private DeliveryBookkeeping Bookkeeping => database.Bookkeeping;

    public async Task InitializeAsync() => database = await WebhookDatabase.CreateAsync();

    private async Task<DeliveryView> DeliveryAsync(Guid endpoint, Guid deliveryId) =>
        (await database.Queue.DeliveriesAsync(endpoint, CancellationToken.None)).Single(d => d.DeliveryId == deliveryId);

    private Task<DateTimeOffset?> FailingSinceAsync(Guid endpoint) =>
        database.ScalarAsync<object>("SELECT failing_since FROM endpoints WHERE id = $1", endpoint)
            .ContinueWith(t => t.Result is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : (DateTimeOffset?)null, TaskScheduler.Default);

    private Task<bool> DisabledAsync(Guid endpoint) => database.ScalarAsync<bool>("SELECT disabled_at IS NOT NULL FROM endpoints WHERE id = $1", endpoint);

    [Fact]
    public async Task One_batch_records_each_attempt_and_status_and_gives_back_what_was_not_attempted()
    {
        var endpoint = await database.EndpointAsync();
        await database.EnqueueAsync(4, "mixed");
        var claimed = await database.ClaimAllAsync();
        var now = DateTimeOffset.UtcNow;
        await Bookkeeping.WriteAsync(
        [
            new DeliveryAttempt(claimed[0].DeliveryId, endpoint, now, 204, null, 7, true, null),
            new DeliveryAttempt(claimed[1].DeliveryId, endpoint, now.AddMilliseconds(1), 500, null, 8, false, now.AddHours(1)),
            new DeliveryAttempt(claimed[2].DeliveryId, endpoint, now.AddMilliseconds(2), null, "Connection refused", 9, false, null),
            new DeliveryRelease(claimed[3].DeliveryId, endpoint, now.AddMinutes(1)),
        ], CancellationToken.None);

        var succeeded = await DeliveryAsync(endpoint, claimed[0].DeliveryId);
        Assert.Equal((Succeeded, 1, 204), (succeeded.Status, succeeded.Attempts, succeeded.LastStatusCode));
        Assert.Equal(7, Assert.Single(succeeded.AttemptLog).DurationMs);
        var retrying = await DeliveryAsync(endpoint, claimed[1].DeliveryId);
        Assert.Equal((Pending, 1, 500), (retrying.Status, retrying.Attempts, retrying.LastStatusCode));
        Assert.Equal(now.AddHours(1), retrying.NextAttemptAt!.Value, TimeSpan.FromMilliseconds(1));
        var failed = await DeliveryAsync(endpoint, claimed[2].DeliveryId);
        Assert.Equal((Failed, 1, "Connection refused"), (failed.Status, failed.Attempts, failed.LastError));
        Assert.Null(Assert.Single(failed.AttemptLog).StatusCode);
        var released = await DeliveryAsync(endpoint, claimed[3].DeliveryId);
        Assert.Equal((Pending, 0), (released.Status, released.Attempts));
        Assert.Empty(released.AttemptLog);
        Assert.Equal(now.AddMinutes(1), released.NextAttemptAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE locked_until IS NOT NULL"));
        // The success came first: the run of failures starts at the first failure after it.
        Assert.Equal(now.AddMilliseconds(1), (await FailingSinceAsync(endpoint))!.Value, TimeSpan.FromMilliseconds(1));
        Assert.False(await DisabledAsync(endpoint));
    }

    [Fact]
    public async Task The_run_of_failures_starts_at_the_first_failure_and_ends_with_a_success()
    {
        var endpoint = await database.EndpointAsync();
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        await Bookkeeping.WriteAsync([new DeliveryAttempt(Guid.NewGuid(), endpoint, start, 500, null, 5, false, null)], CancellationToken.None);
        await Bookkeeping.WriteAsync([new DeliveryAttempt(Guid.NewGuid(), endpoint, DateTimeOffset.UtcNow, 500, null, 5, false, null)],
            CancellationToken.None);
        Assert.Equal(start, (await FailingSinceAsync(endpoint))!.Value, TimeSpan.FromMilliseconds(1));
        await Bookkeeping.WriteAsync(
        [
            new DeliveryAttempt(Guid.NewGuid(), endpoint, DateTimeOffset.UtcNow, 500, null, 5, false, null),
            new DeliveryAttempt(Guid.NewGuid(), endpoint, DateTimeOffset.UtcNow, 204, null, 5, true, null),
        ], CancellationToken.None);
        Assert.Null(await FailingSinceAsync(endpoint));
    }

    [Fact]
    public async Task A_410_or_failing_for_DisableAfter_disables_the_endpoint_and_the_others_are_told()
    {
        var gone = await database.EndpointAsync();
        var failing = await database.EndpointAsync();
        var other = await database.EndpointAsync();
        await database.EnqueueAsync(2, "doomed");
        var claimed = (await database.ClaimAllAsync()).ToLookup(c => c.EndpointId);
        var longAgo = DateTimeOffset.UtcNow - database.Options.DisableAfter - TimeSpan.FromMinutes(1);
        await Bookkeeping.WriteAsync(
        [
            new DeliveryAttempt(claimed[gone].First().DeliveryId, gone, DateTimeOffset.UtcNow, 410, null, 5, false, null),
            new DeliveryAttempt(claimed[failing].First().DeliveryId, failing, longAgo, 500, null, 5, false, DateTimeOffset.UtcNow.AddHours(1)),
            new DeliveryAttempt(claimed[other].First().DeliveryId, other, DateTimeOffset.UtcNow, 500, null, 5, false, DateTimeOffset.UtcNow.AddHours(1)),
        ], CancellationToken.None);

        Assert.True(await DisabledAsync(gone));
        Assert.True(await DisabledAsync(failing));
        Assert.False(await DisabledAsync(other));
        Assert.Contains("410", await database.ScalarAsync<string>("SELECT disabled_reason FROM endpoints WHERE id = $1", gone));
        Assert.Contains("failed since", await database.ScalarAsync<string>("SELECT disabled_reason FROM endpoints WHERE id = $1", failing));
        // What the disabled endpoints still had pending failed; the one left enabled heard of both.
        foreach (var disabled in new[] { gone, failing })
            Assert.All(await database.Queue.DeliveriesAsync(disabled, CancellationToken.None), d => Assert.Equal(Failed, d.Status));
        Assert.Equal(2L, await database.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE endpoint_id = $1 AND event_type = $2",
            other, WebhookEventTypes.EndpointDisabled));
    }

    [Fact]
    public async Task A_delivery_deleted_meanwhile_records_nothing_and_the_rest_of_the_batch_is_recorded()
    {
        var deleted = await database.EndpointAsync();
        var kept = await database.EndpointAsync();
        await database.EnqueueAsync(1, "one");
        var claimed = (await database.ClaimAllAsync()).ToDictionary(c => c.EndpointId);
        Assert.True(await database.Store.DeleteAsync(database.Tenant, deleted, CancellationToken.None));

        await Bookkeeping.WriteAsync(
        [
            new DeliveryAttempt(claimed[deleted].DeliveryId, deleted, DateTimeOffset.UtcNow, 500, null, 5, false, DateTimeOffset.UtcNow.AddHours(1)),
            new DeliveryAttempt(claimed[kept].DeliveryId, kept, DateTimeOffset.UtcNow, 204, null, 5, true, null),
        ], CancellationToken.None);

        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM delivery_attempts"));
        Assert.Equal(Succeeded, (await DeliveryAsync(kept, claimed[kept].DeliveryId)).Status);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE endpoint_id = $1", deleted));
    }

    [Fact]
    public async Task No_retry_is_scheduled_for_an_endpoint_disabled_while_the_attempt_was_in_flight()
    {
        var disabledByDisabler = await database.EndpointAsync();
        var disabledBefore = await database.EndpointAsync();
        await database.EnqueueAsync(1, "in-flight");
        var claimed = (await database.ClaimAllAsync()).ToDictionary(c => c.EndpointId);
        // Disabled as the disabler does (its pending deliveries fail), and with only the endpoint's row changed so far.
        var disabler = new EndpointDisabler(database.Db, database.Store, database.Queue);
        Assert.True(await disabler.DisableAsync(disabledByDisabler, "by hand", DateTimeOffset.UtcNow, CancellationToken.None));
        await using (var disable = database.Db.CreateCommand("UPDATE endpoints SET disabled_at = now() WHERE id = $1"))
        {
            disable.Parameters.AddWithValue(disabledBefore);
            await disable.ExecuteNonQueryAsync();
        }

        var retryAt = DateTimeOffset.UtcNow.AddSeconds(5);
        await Bookkeeping.WriteAsync([.. claimed.Values.Select(c =>
            new DeliveryAttempt(c.DeliveryId, c.EndpointId, DateTimeOffset.UtcNow, 503, null, 5, false, retryAt))], CancellationToken.None);

        foreach (var (endpoint, delivery) in claimed)
        {
            var view = await DeliveryAsync(endpoint, delivery.DeliveryId);
            Assert.Equal((Failed, 1), (view.Status, view.Attempts));
        }
    }

    [Fact]
    public async Task Stopping_writes_what_was_handed_over()
    {
        var endpoint = await database.EndpointAsync();
        await database.EnqueueAsync(150, "flush");
        var claimed = await database.ClaimAllAsync();
        await Bookkeeping.StartAsync(CancellationToken.None);
        foreach (var delivery in claimed)
            Bookkeeping.Record(new DeliveryAttempt(delivery.DeliveryId, endpoint, DateTimeOffset.UtcNow, 204, null, 5, true, null));
        await Bookkeeping.StopAsync(CancellationToken.None);

        Assert.Equal(150L, await database.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE status = $1", Succeeded));
        Assert.Equal(150L, await database.ScalarAsync<long>("SELECT count(*) FROM delivery_attempts"));
    }

    [Fact]
    public async Task Stopping_before_the_writer_ever_ran_still_writes_what_was_handed_over()
    {
        var endpoint = await database.EndpointAsync();
        await database.EnqueueAsync(20, "never-ran");
        var claimed = await database.ClaimAllAsync();
        // As when the host stops the service before the thread pool ran its ExecuteAsync: here it is never started.
        foreach (var delivery in claimed)
            Bookkeeping.Record(new DeliveryAttempt(delivery.DeliveryId, endpoint, DateTimeOffset.UtcNow, 204, null, 5, true, null));
        await Bookkeeping.StopAsync(CancellationToken.None);

        Assert.Equal(20L, await database.ScalarAsync<long>("SELECT count(*) FROM deliveries WHERE status = $1", Succeeded));
    }

    public async Task DisposeAsync() => await database.DisposeAsync();
}
