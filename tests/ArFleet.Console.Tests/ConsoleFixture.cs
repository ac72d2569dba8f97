using ArFleet.Testing;

namespace ArFleet.ConsoleTests;

/// <summary>One fleet with its console and one browser for the collection.</summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public Fleet Fleet { get; private set; } = null!;
    public ArFleetClient Client { get; private set; } = null!;
    public Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // One retry, 2 s after the first attempt: a delivery whose two attempts fail is failed, for the portal's replay.
        Fleet = await Fleet.StartWithInfrastructureAsync(new Dictionary<string, string>
        {
            ["Webhooks__PollInterval"] = "00:00:00.100",
            ["Webhooks__RetrySchedule__0"] = "00:00:02",
        });
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
