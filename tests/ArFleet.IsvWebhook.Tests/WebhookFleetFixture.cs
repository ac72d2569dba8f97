using ArFleet.Contracts;
using ArFleet.Testing;
using MassTransit;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>A fleet of the five services with everything about webhooks compressed to seconds (retry schedule,
/// timeout, circuit breaker, the five days before disabling), and a bus on its vhost that publishes the events
/// isv-webhook consumes, as the other services would.</summary>
public sealed class WebhookFleetFixture : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DisableAfter = TimeSpan.FromSeconds(8);
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(6); // more than 2 s + Timeout + FlushInterval

    private IBusControl? bus;
    public Fleet Fleet { get; private set; } = null!;
    public ArFleetClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fleet = await Fleet.StartWithInfrastructureAsync(new Dictionary<string, string>
        {
            ["Webhooks__PollInterval"] = "00:00:00.100",
            ["Webhooks__RetrySchedule__0"] = "00:00:00.500",
            ["Webhooks__RetrySchedule__1"] = "00:00:01",
            ["Webhooks__RetrySchedule__2"] = "00:00:01",
            ["Webhooks__RetrySchedule__3"] = "00:00:01",
            ["Webhooks__RetrySchedule__4"] = "00:00:02",
            ["Webhooks__RetrySchedule__5"] = "00:00:02",
            ["Webhooks__RetrySchedule__6"] = "00:00:02",
            ["Webhooks__Timeout"] = Timeout.ToString(),
            ["Webhooks__Lease"] = Lease.ToString(), // a killed instance's claims come back in seconds
            ["Webhooks__DisableAfter"] = DisableAfter.ToString(),
            ["Webhooks__Isolation__MaxConcurrency"] = "4",
            ["Webhooks__Isolation__BreakDuration"] = "00:00:01",
            ["Webhooks__Isolation__SamplingDuration"] = "00:00:05",
        });
        Client = new ArFleetClient(Fleet);

        bus = await Fleet.StartBusAsync();
    }

    /// <summary>Publishes a resolved scan of the brand, as campaign-rules or voucher-issuance would; returns its scan id.</summary>
    public async Task<Guid> PublishScanResolvedAsync(Guid brandTenantId)
    {
        var scanId = Guid.CreateVersion7();
        await bus!.Publish(new ScanResolved(scanId, brandTenantId, Guid.NewGuid(), ScanStatus.Resolved, ScanOutcome.NoReward,
            null, null, null, null, DateTimeOffset.UtcNow));
        return scanId;
    }

    public async Task DisposeAsync()
    {
        if (bus is not null) await bus.StopAsync();
        Client?.Dispose();
        if (Fleet is not null) await Fleet.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WebhookFleetCollection : ICollectionFixture<WebhookFleetFixture>
{
    public const string Name = "webhook fleet";
}
