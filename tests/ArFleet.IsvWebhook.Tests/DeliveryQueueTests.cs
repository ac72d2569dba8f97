using ArFleet.ServiceDefaults;
using ArFleet.Testing;
using ArFleet.Webhooks.Receiver;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>The queue's and the endpoint store's SQL against the real PostgreSQL, on a database of this test class's own,
/// with secrets encrypted by Data Protection keyed from that database as in the service.</summary>
public sealed class DeliveryQueueTests : IAsyncLifetime
{
    private Infrastructure infrastructure = null!;
    private string connectionString = null!;
    private NpgsqlDataSource db = null!;
    private DeliveryQueue queue = null!;
    private EndpointStore store = null!;
    private DeliveryRetention retention = null!;
    private readonly List<ServiceProvider> keyRings = [];
    private readonly Guid tenant = Guid.NewGuid();

    public async Task InitializeAsync()
    {
        infrastructure = await Infrastructure.StartAsync();
        connectionString = new NpgsqlConnectionStringBuilder(infrastructure.Postgres)
        {
            Database = $"arfleet_webhook_queue_{Guid.NewGuid():N}"[..40],
        }.ConnectionString;
        await new DatabaseMigrator(connectionString, typeof(DeliveryQueue).Assembly, NullLogger<DatabaseMigrator>.Instance)
            .MigrateAsync(CancellationToken.None);
        db = NpgsqlDataSource.Create(connectionString);
        queue = new DeliveryQueue(db);
        store = new EndpointStore(db, NewSecrets());
        retention = new DeliveryRetention(db, Options.Create(new WebhookOptions()), TimeProvider.System, NullLogger<DeliveryRetention>.Instance);
    }

    /// <summary>Secrets as a fresh service instance would protect them: its own key ring provider over the database's keys.</summary>
    private EndpointSecrets NewSecrets()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddDataProtection().SetApplicationName("arfleet-isv-webhook");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new PostgresXmlRepository(db));
        var provider = services.BuildServiceProvider();
        keyRings.Add(provider);
        return new EndpointSecrets(provider.GetRequiredService<IDataProtectionProvider>());
    }

    private async Task<Guid> EndpointAsync(string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    {
        var id = Guid.CreateVersion7();
        var endpoint = new WebhookEndpoint(id, tenant, $"https://hooks.example/{id}", [WebhookEventTypes.ScanResolved], DateTimeOffset.UtcNow, null, null);
        await store.CreateAsync(endpoint, secret, CancellationToken.None);
        return id;
    }

    private async Task EnqueueAsync(int events, string prefix)
    {
        var subscribed = await store.SubscribedAsync([tenant], WebhookEventTypes.ScanResolved, CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, events).Select(i =>
            queue.EnqueueAsync(subscribed, WebhookEventTypes.ScanResolved, $"{prefix}:{i}", "{}", null, CancellationToken.None)));
    }

    private async Task<string[]> SecretsOfAsync(Guid endpoint) =>
        (await store.TargetsAsync([endpoint], CancellationToken.None))[endpoint].Secrets;

    [Fact]
    public async Task Claims_take_at_most_the_per_endpoint_cap_and_skip_saturated_endpoints()
    {
        var busy = await EndpointAsync();
        await EnqueueAsync(20, "backlog"); // 20 for busy
        var quiet = await EndpointAsync();
        await EnqueueAsync(3, "later"); // 3 more for each

        var claimed = await queue.ClaimDueAsync(max: 30, perEndpoint: 4, skipEndpoints: [], CancellationToken.None);
        Assert.Equal(4, claimed.Count(c => c.EndpointId == busy));
        Assert.Equal(3, claimed.Count(c => c.EndpointId == quiet));

        await EnqueueAsync(2, "more");
        var next = await queue.ClaimDueAsync(max: 30, perEndpoint: 4, skipEndpoints: [busy], CancellationToken.None);
        Assert.All(next, c => Assert.Equal(quiet, c.EndpointId));
        Assert.Equal(2, next.Count);
    }

    [Fact]
    public async Task After_a_rotation_a_claim_carries_both_secrets_until_the_previous_one_expires()
    {
        var endpoint = await EndpointAsync("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
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
        var endpoint = await EndpointAsync();
        await EnqueueAsync(3, "old");
        var claimed = await queue.ClaimDueAsync(10, 10, [], CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        await queue.RecordAttemptAsync(claimed[0].DeliveryId, now, 204, null, 5, true, null, CancellationToken.None);
        await queue.RecordAttemptAsync(claimed[1].DeliveryId, now, 500, null, 5, false, null, CancellationToken.None); // out of retries
        await queue.RecordAttemptAsync(claimed[2].DeliveryId, now, 500, null, 5, false, now.AddHours(1), CancellationToken.None); // still pending
        await using (var age = db.CreateCommand("UPDATE deliveries SET created_at = now() - interval '31 days'")) await age.ExecuteNonQueryAsync();
        await EnqueueAsync(1, "recent");

        Assert.Equal(2, await retention.DeleteFinishedBeforeAsync(DateTimeOffset.UtcNow.AddDays(-30), CancellationToken.None));
        var left = await queue.DeliveriesAsync(endpoint, CancellationToken.None);
        Assert.Equal(2, left.Count);
        Assert.All(left, d => Assert.Equal(DeliveryStatus.Pending, d.Status));
        await using var attempts = db.CreateCommand("SELECT count(*) FROM delivery_attempts");
        Assert.Equal(1L, await attempts.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_run_of_failures_starts_at_the_first_failure_and_ends_with_a_success()
    {
        var endpoint = await EndpointAsync();
        var start = DateTimeOffset.UtcNow.AddDays(-5).AddMinutes(-1);
        Assert.Equal(start, (await store.RecordOutcomeAsync(endpoint, start, succeeded: false, CancellationToken.None))!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal(start, (await store.RecordOutcomeAsync(endpoint, DateTimeOffset.UtcNow, succeeded: false, CancellationToken.None))!.Value,
            TimeSpan.FromMilliseconds(1));
        Assert.Null(await store.RecordOutcomeAsync(endpoint, DateTimeOffset.UtcNow, succeeded: true, CancellationToken.None));
    }

    [Fact]
    public async Task Secrets_are_stored_encrypted_and_another_instance_decrypts_them_with_the_keys_in_the_database()
    {
        const string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        var endpoint = await EndpointAsync(secret);
        var fresh = WebhookSigner.NewSecret();
        Assert.True(await store.RotateSecretAsync(tenant, endpoint, fresh, DateTimeOffset.UtcNow.AddHours(1), CancellationToken.None));

        await using (var raw = db.CreateCommand("SELECT secret || ' ' || previous_secret FROM endpoints WHERE id = $1"))
        {
            raw.Parameters.AddWithValue(endpoint);
            var stored = (string)(await raw.ExecuteScalarAsync())!;
            Assert.DoesNotContain(secret["whsec_".Length..], stored);
            Assert.DoesNotContain(fresh["whsec_".Length..], stored);
            Assert.DoesNotContain("whsec_", stored);
        }
        await using (var keys = db.CreateCommand("SELECT count(*) FROM data_protection_keys"))
            Assert.True((long)(await keys.ExecuteScalarAsync())! >= 1);

        var otherInstance = new EndpointStore(db, NewSecrets());
        Assert.Equal([fresh, secret], (await otherInstance.TargetsAsync([endpoint], CancellationToken.None))[endpoint].Secrets);
    }

    [Fact]
    public async Task Deleting_an_endpoint_deletes_its_deliveries_and_their_attempts()
    {
        var endpoint = await EndpointAsync();
        var kept = await EndpointAsync();
        await EnqueueAsync(2, "doomed");
        foreach (var delivery in await queue.ClaimDueAsync(10, 10, [], CancellationToken.None))
            await queue.RecordAttemptAsync(delivery.DeliveryId, DateTimeOffset.UtcNow, 500, null, 5, false, DateTimeOffset.UtcNow.AddHours(1),
                CancellationToken.None);

        Assert.True(await store.DeleteAsync(tenant, endpoint, CancellationToken.None));
        Assert.False(await store.DeleteAsync(tenant, endpoint, CancellationToken.None));
        Assert.Empty(await queue.DeliveriesAsync(endpoint, CancellationToken.None));
        Assert.Equal(2, (await queue.DeliveriesAsync(kept, CancellationToken.None)).Count);
        await using var attempts = db.CreateCommand("SELECT count(*) FROM delivery_attempts");
        Assert.Equal(2L, await attempts.ExecuteScalarAsync());
    }

    public async Task DisposeAsync()
    {
        foreach (var keyRing in keyRings) await keyRing.DisposeAsync();
        await db.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres" }.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\" WITH (FORCE)",
            connection);
        await drop.ExecuteNonQueryAsync();
        await infrastructure.DisposeAsync();
    }
}
