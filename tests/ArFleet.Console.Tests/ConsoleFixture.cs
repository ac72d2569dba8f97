using ArFleet.Testing;

namespace ArFleet.ConsoleTests;

/// <summary>One fleet with its console and one browser for the collection. Webhook retries are compressed so a failing
/// endpoint's delivery fails within seconds (and its circuit stays closed), for the replay test.</summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public Fleet Fleet { get; private set; } = null!;
    public ArFleetClient Client { get; private set; } = null!;
    public Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["Webhooks__PollInterval"] = "00:00:00.100",
            ["Webhooks__Isolation__MinimumThroughput"] = "1000",
        };
        for (var i = 0; i < 7; i++) settings[$"Webhooks__RetrySchedule__{i}"] = "00:00:00.200";
        Fleet = await Fleet.StartWithInfrastructureAsync(settings);
        Client = new ArFleetClient(Fleet);
        Browser = new Browser();
    }

    public async Task DisposeAsync()
    {
        Browser?.Dispose();
        Client?.Dispose();
        if (Fleet is not null) await Fleet.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
