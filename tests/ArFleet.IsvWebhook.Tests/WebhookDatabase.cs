using ArFleet.ServiceDefaults;
using ArFleet.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>isv-webhook's database of a test's own on the real PostgreSQL, migrated, with the queue, the endpoint store and
/// the bookkeeping over it, and secrets encrypted by Data Protection keyed from that database as in the service.</summary>
public sealed class WebhookDatabase : IAsyncDisposable
{
    private readonly List<ServiceProvider> providers = [];
    private Infrastructure infrastructure = null!;
    private string connectionString = null!;

    public NpgsqlDataSource Db { get; private set; } = null!;
    public WebhookOptions Options { get; } = new();
    public EndpointStore Store { get; private set; } = null!;
    public DeliveryQueue Queue { get; private set; } = null!;
    public DeliveryBookkeeping Bookkeeping { get; private set; } = null!;
    public Guid Tenant { get; } = Guid.NewGuid();

    public static async Task<WebhookDatabase> CreateAsync()
    {
        var database = new WebhookDatabase();
        await database.InitializeAsync();
        return database;
    }

    private async Task InitializeAsync()
    {
        infrastructure = await Infrastructure.StartAsync();
        connectionString = new NpgsqlConnectionStringBuilder(infrastructure.Postgres)
        {
            Database = $"arfleet_webhook_queue_{Guid.NewGuid():N}"[..40],
        }.ConnectionString;
        await new DatabaseMigrator(connectionString, typeof(DeliveryQueue).Assembly, NullLogger<DatabaseMigrator>.Instance)
            .MigrateAsync(CancellationToken.None);
        Db = NpgsqlDataSource.Create(connectionString);
        Store = new EndpointStore(Db, NewSecrets());
        Queue = NewQueue(Store);
        var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        providers.Add(metrics);
        Bookkeeping = new DeliveryBookkeeping(Db, new EndpointDisabler(Db, Store, Queue), Microsoft.Extensions.Options.Options.Create(Options),
            TimeProvider.System, new WebhookMetrics(metrics.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()),
            NullLogger<DeliveryBookkeeping>.Instance);
    }

    public DeliveryQueue NewQueue(EndpointStore store) =>
        new(Db, store, Microsoft.Extensions.Options.Options.Create(Options), TimeProvider.System);

    /// <summary>Secrets as a fresh service instance would protect them: its own key ring provider over the database's keys.</summary>
    public EndpointSecrets NewSecrets()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddDataProtection().SetApplicationName("arfleet-isv-webhook");
        services.Configure<KeyManagementOptions>(o => o.XmlRepository = new PostgresXmlRepository(Db));
        var provider = services.BuildServiceProvider();
        providers.Add(provider);
        return new EndpointSecrets(provider.GetRequiredService<IDataProtectionProvider>());
    }

    public async Task<Guid> EndpointAsync(string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    {
        var id = Guid.CreateVersion7();
        var endpoint = new WebhookEndpoint(id, Tenant, $"https://hooks.example/{id}", [WebhookEventTypes.ScanResolved], DateTimeOffset.UtcNow, null, null);
        await Store.CreateAsync(endpoint, secret, CancellationToken.None);
        return id;
    }

    /// <summary>One delivery of each of <paramref name="events"/> events to each of the tenant's subscribed endpoints.</summary>
    public async Task EnqueueAsync(int events, string prefix)
    {
        var subscribed = await Store.SubscribedAsync(Tenant, WebhookEventTypes.ScanResolved, CancellationToken.None);
        await Task.WhenAll(Enumerable.Range(0, events).Select(i =>
            Queue.EnqueueAsync(subscribed, WebhookEventTypes.ScanResolved, $"{prefix}:{i}", "{}", null, CancellationToken.None)));
    }

    /// <summary>Claims every due delivery, whatever its endpoint.</summary>
    public Task<List<ClaimedDelivery>> ClaimAllAsync(DeliveryQueue? queue = null) =>
        (queue ?? Queue).ClaimDueAsync(1000, 1000, new Dictionary<Guid, int>(), CancellationToken.None);

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Db.CreateCommand(sql);
        foreach (var parameter in parameters) command.Parameters.AddWithValue(parameter);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in providers) await provider.DisposeAsync();
        await Db.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres" }.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\" WITH (FORCE)",
            connection);
        await drop.ExecuteNonQueryAsync();
        await infrastructure.DisposeAsync();
    }
}
