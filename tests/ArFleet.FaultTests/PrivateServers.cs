using System.Diagnostics;
using ArFleet.Testing;

namespace ArFleet.FaultTests;

/// <summary>RabbitMQ, Redis and PostgreSQL of the fault tests' own, started and killed through `./arfleet` with a private
/// home and ports: killing them cannot disturb the other test suites, which run at the same time on the shared servers.</summary>
public sealed class PrivateServers : IAsyncLifetime
{
    private const int RabbitMqPort = 17672, ManagementPort = 17673, RedisPort = 17379, PostgresPort = 17432;
    private readonly string home = Path.Combine(Path.GetTempPath(), "arfleet-faults-" + Environment.ProcessId);

    public Infrastructure Infrastructure { get; } = new()
    {
        RabbitMqUrl = $"amqp://guest:guest@127.0.0.1:{RabbitMqPort}/",
        RabbitMqManagementUrl = $"http://127.0.0.1:{ManagementPort}",
        Redis = $"127.0.0.1:{RedisPort}",
        Postgres = $"Host=127.0.0.1;Port={PostgresPort};Username=postgres",
    };

    public Task InitializeAsync() => ArfleetAsync("servers", "start");

    /// <summary>SIGKILL of the server's real process (RabbitMQ's Erlang node, the postmaster, redis-server).</summary>
    public Task KillAsync(string server) => ArfleetAsync("kill", server);

    /// <summary>Starts a killed server again on its port and data, and waits until it answers.</summary>
    public Task StartAsync(string server) => ArfleetAsync("start", server);

    public async Task DisposeAsync()
    {
        await ArfleetAsync("servers", "stop");
        try { Directory.Delete(home, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private async Task ArfleetAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(ServiceProcess.RepositoryRoot(), "arfleet"), arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ARFLEET_HOME"] = home;
        start.Environment["ARFLEET_RABBITMQ_NODE"] = "arfleet-faults@localhost";
        start.Environment["ARFLEET_RABBITMQ_PORT"] = RabbitMqPort.ToString();
        start.Environment["ARFLEET_RABBITMQ_MANAGEMENT_PORT"] = ManagementPort.ToString();
        start.Environment["ARFLEET_RABBITMQ_DIST_PORT"] = "17674";
        start.Environment["ARFLEET_EPMD_PORT"] = "17675";
        start.Environment["ARFLEET_REDIS_PORT"] = RedisPort.ToString();
        start.Environment["ARFLEET_POSTGRES_PORT"] = PostgresPort.ToString();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"./arfleet {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await errors}");
    }
}
