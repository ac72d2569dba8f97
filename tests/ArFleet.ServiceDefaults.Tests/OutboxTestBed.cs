using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using ArFleet.Testing;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.ServiceDefaults.Tests;

/// <summary>An event as a service would write it: what the tests put through the outbox.</summary>
public record OutboxProbe(int Sequence, Guid RunId, byte[] Payload, DateTimeOffset OccurredAt);

/// <summary>One test's own PostgreSQL database (with outbox_messages from campaign-rules' migration) and RabbitMQ
/// vhost on the real servers, and a started bus there that records every OutboxProbe it receives, in order.</summary>
public sealed class OutboxTestBed : IAsyncDisposable
{
    private readonly Infrastructure infrastructure;
    private readonly string name;
    private readonly List<IBusControl> buses = [];
    private readonly List<NpgsqlDataSource> dataSources = [];

    public NpgsqlDataSource Db { get; }
    public ConcurrentQueue<OutboxProbe> Received { get; } = new();
    public Outbox Outbox { get; }
    public OutboxSignal Signal { get; } = new();

    private OutboxTestBed(Infrastructure infrastructure, string name)
    {
        this.infrastructure = infrastructure;
        this.name = name;
        Db = new NpgsqlDataSourceBuilder(ConnectionString).Build();
        Outbox = new Outbox(Db, Signal);
    }

    private string ConnectionString => new NpgsqlConnectionStringBuilder(infrastructure.Postgres) { Database = name }.ConnectionString;

    public Uri Broker => new(infrastructure.RabbitMqUrl);

    public (string Host, int Port) Postgres
    {
        get
        {
            var server = new NpgsqlConnectionStringBuilder(infrastructure.Postgres);
            return (server.Host!, server.Port);
        }
    }

    /// <summary>This database reached through <paramref name="port"/> (a TcpGate's) instead of the server's own.</summary>
    public NpgsqlDataSource DatabaseThrough(int port)
    {
        var dataSource = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(ConnectionString) { Port = port, Timeout = 2 }.ConnectionString).Build();
        dataSources.Add(dataSource);
        return dataSource;
    }

    public static async Task<OutboxTestBed> StartAsync()
    {
        var bed = new OutboxTestBed(await Infrastructure.StartAsync(), "outbox_" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await new DatabaseMigrator(bed.ConnectionString, typeof(OutboxTestBed).Assembly, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(default);
            await bed.ManagementAsync(HttpMethod.Put, $"vhosts/{bed.name}", null);
            await bed.ManagementAsync(HttpMethod.Put, $"permissions/{bed.name}/{bed.Credentials().User}", """{"configure":".*","write":".*","read":".*"}""");
            var consumer = bed.CreateBus(cfg => cfg.ReceiveEndpoint("outbox-probes", e =>
            {
                e.PrefetchCount = 1;
                e.ConcurrentMessageLimit = 1; // record in arrival order
                e.Handler<OutboxProbe>(context =>
                {
                    bed.Received.Enqueue(context.Message);
                    return Task.CompletedTask;
                });
            }));
            await consumer.StartAsync();
            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    /// <summary>A bus on this vhost, not started; <paramref name="port"/> replaces the broker's (a BrokerGate's).</summary>
    public IBusControl CreateBus(Action<IRabbitMqBusFactoryConfigurator>? configure = null, int? port = null)
    {
        var (user, password) = Credentials();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(Broker.Host, (ushort)(port ?? Broker.Port), name, h =>
            {
                h.Username(user);
                h.Password(password);
            });
            configure?.Invoke(cfg);
        });
        buses.Add(bus);
        return bus;
    }

    /// <summary>A relay on this database (or <paramref name="db"/>) that publishes through <paramref name="bus"/>, with short
    /// waits so that tests run fast.</summary>
    public OutboxRelay CreateRelay(IBus bus, TimeSpan? pollInterval = null, NpgsqlDataSource? db = null) =>
        new(db ?? Db, bus, Signal, Options.Create(new OutboxOptions
    {
        PollInterval = pollInterval ?? TimeSpan.FromMilliseconds(200),
        BatchSize = 50,
        PublishTimeout = TimeSpan.FromSeconds(1),
        RetryDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryDelay = TimeSpan.FromMilliseconds(500),
    }), NullLogger<OutboxRelay>.Instance);

    /// <summary>Commits <paramref name="probes"/> in one transaction, as a service commits a state change with its events.</summary>
    public async Task CommitAsync(params OutboxProbe[] probes)
    {
        await using var transaction = await Outbox.BeginAsync(default);
        foreach (var probe in probes) await transaction.PublishAsync(probe, default);
        await transaction.CommitAsync(default);
    }

    public async Task<long> PendingAsync()
    {
        await using var command = Db.CreateCommand("SELECT count(*) FROM outbox_messages");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until <paramref name="count"/> probes have arrived; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Received.Count < count)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"{Received.Count} of {count} messages arrived within {timeout}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bus in buses) await bus.StopAsync();
        foreach (var dataSource in dataSources) await dataSource.DisposeAsync();
        await Db.DisposeAsync();
        try
        {
            await using var connection = new NpgsqlConnection(
                new NpgsqlConnectionStringBuilder(infrastructure.Postgres) { Database = "postgres" }.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
            await ManagementAsync(HttpMethod.Delete, $"vhosts/{name}", null);
        }
        finally
        {
            await infrastructure.DisposeAsync();
        }
    }

    private (string User, string Password) Credentials()
    {
        var userInfo = new Uri(infrastructure.RabbitMqUrl).UserInfo.Split(':', 2);
        return userInfo.Length == 2 ? (Uri.UnescapeDataString(userInfo[0]), Uri.UnescapeDataString(userInfo[1])) : ("guest", "guest");
    }

    private async Task ManagementAsync(HttpMethod method, string path, string? json)
    {
        using var http = new HttpClient { BaseAddress = new Uri(infrastructure.RabbitMqManagementUrl.TrimEnd('/') + "/api/") };
        var (user, password) = Credentials();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}
