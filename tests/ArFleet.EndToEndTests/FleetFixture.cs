using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>One fleet of the five services for the whole collection, with the webhook retry schedule
/// compressed to seconds.</summary>
public sealed class FleetFixture : IAsyncLifetime
{
    public Fleet Fleet { get; private set; } = null!;
    public ArFleetClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fleet = await Fleet.StartWithInfrastructureAsync(new Dictionary<string, string>
        {
            ["Webhooks__PollInterval"] = "00:00:00.100",
            ["Webhooks__RetrySchedule__0"] = "00:00:00.500",
            ["Webhooks__RetrySchedule__1"] = "00:00:01",
            ["Webhooks__RetrySchedule__2"] = "00:00:02",
            ["Webhooks__RetrySchedule__3"] = "00:00:03",
            // Metrics that are sampled or reconciled now and then (MetricsEndpointTests reads them after a scan).
            ["ArFleet__Metrics__SampleInterval"] = "00:00:01",
            ["Vouchers__ReconcileInterval"] = "00:00:05",
        });
        Client = new ArFleetClient(Fleet);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Fleet is not null) await Fleet.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class FleetCollection : ICollectionFixture<FleetFixture>
{
    public const string Name = "fleet";
}
