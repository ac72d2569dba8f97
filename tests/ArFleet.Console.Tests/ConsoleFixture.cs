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
        // The default retry schedule (the first retry 5 s after the first attempt): a configured one is appended to it
        // by the configuration binder rather than replacing it, so it cannot be shortened here.
        Fleet = await Fleet.StartWithInfrastructureAsync(new Dictionary<string, string> { ["Webhooks__PollInterval"] = "00:00:00.100" });
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
