using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using MassTransit;
using Npgsql;

namespace ArFleet.Testing;

/// <summary>The five services and the web console as real processes (the built service DLLs) on free ports, against the real
/// servers, isolated from any other fleet on them by a RabbitMQ vhost, databases and a Redis database of their own.</summary>
public sealed class Fleet : IAsyncDisposable
{
    public static readonly string[] ServiceNames = [.. Topology.Services.Select(s => s.Name)];

    public required Infrastructure Infrastructure { get; init; }
    public required string RunId { get; init; }
    public required string AdminKey { get; init; }
    public IReadOnlyDictionary<string, ServiceProcess> Services => services;
    public Uri Ingest => Services["ingest"].BaseAddress;
    public Uri Campaigns => Services["campaign-rules"].BaseAddress;
    public Uri Vouchers => Services["voucher-issuance"].BaseAddress;
    public Uri Webhooks => Services["isv-webhook"].BaseAddress;
    public Uri WebConsole => Services["console"].BaseAddress;
    public FleetAddresses Addresses => new(Ingest, Campaigns, Vouchers, Webhooks, AdminKey);
    public string VirtualHost => RunId;
    public string Redis => Infrastructure.Redis + ",defaultDatabase=1";

    public string PostgresFor(string service) =>
        new NpgsqlConnectionStringBuilder(Infrastructure.Postgres) { Database = $"arfleet_{RunId}_{service.Replace('-', '_')}" }.ConnectionString;

    public string RabbitMqUrlForVirtualHost()
    {
        var builder = new UriBuilder(Infrastructure.RabbitMqUrl) { Path = "/" + Uri.EscapeDataString(VirtualHost) };
        return builder.Uri.ToString();
    }

    private readonly Dictionary<string, ServiceProcess> services = [];
    private readonly Dictionary<string, Dictionary<string, string>> environments = [];
    private bool ownsInfrastructure;

    /// <summary>Finds or starts the servers (Infrastructure.StartAsync), then the fleet; disposing it releases both.</summary>
    public static async Task<Fleet> StartWithInfrastructureAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var infrastructure = await Infrastructure.StartAsync();
        try
        {
            var fleet = await StartAsync(infrastructure, settings);
            fleet.ownsInfrastructure = true;
            return fleet;
        }
        catch
        {
            await infrastructure.DisposeAsync();
            throw;
        }
    }

    /// <summary>A started bus on the fleet's vhost, to publish or consume events as another service would.</summary>
    public async Task<IBusControl> StartBusAsync(Action<IRabbitMqBusFactoryConfigurator>? configure = null)
    {
        var rabbit = new Uri(RabbitMqUrlForVirtualHost());
        var (user, password) = Credentials(Infrastructure);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(rabbit.Host, (ushort)rabbit.Port, VirtualHost, h =>
            {
                h.Username(user);
                h.Password(password);
            });
            configure?.Invoke(cfg);
        });
        await bus.StartAsync();
        return bus;
    }

    /// <param name="infrastructure">The servers to run on (Infrastructure.StartAsync).</param>
    /// <param name="settings">Extra configuration for every service (environment-variable form, e.g. Webhooks__PollInterval).</param>
    /// <param name="configure">Changes one service's environment (its name, the variables) before it starts.</param>
    public static async Task<Fleet> StartAsync(Infrastructure infrastructure, IReadOnlyDictionary<string, string>? settings = null,
        Action<string, Dictionary<string, string>>? configure = null)
    {
        var runId = "t" + Guid.NewGuid().ToString("N")[..10];
        await RabbitMqManagement(infrastructure, HttpMethod.Put, $"vhosts/{runId}", null);
        await RabbitMqManagement(infrastructure, HttpMethod.Put, $"permissions/{runId}/{Credentials(infrastructure).User}",
            """{"configure":".*","write":".*","read":".*"}""");

        var ports = ServiceNames.Where(ServiceProcess.IsInCheckout).ToDictionary(name => name, _ => FreePort());
        var adminKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var fleet = new Fleet { Infrastructure = infrastructure, RunId = runId, AdminKey = adminKey };
        try
        {
            foreach (var name in ports.Keys)
            {
                var environment = new Dictionary<string, string>
                {
                    ["ASPNETCORE_ENVIRONMENT"] = "Development",
                    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{ports[name]}",
                    ["ARFLEET_ADMIN_KEY"] = adminKey,
                    ["ArFleet__ConsoleTraces"] = "true",
                    ["Webhooks__AllowLoopback"] = "true",
                    ["Logging__LogLevel__Default"] = "Information",
                };
                // Where every service answers (Services__campaigns for key checks, the others for the console's proxy), and the
                // connection strings deploy/topology.tsv gives the service, and no others.
                foreach (var other in Topology.Services.Where(s => ports.ContainsKey(s.Name)))
                    environment["Services__" + other.Endpoint] = $"http://127.0.0.1:{ports[other.Name]}";
                foreach (var server in Topology.Service(name).Servers)
                    environment["ConnectionStrings__" + server] = server switch
                    {
                        "rabbitmq" => fleet.RabbitMqUrlForVirtualHost(),
                        "redis" => fleet.Redis,
                        "postgres" => fleet.PostgresFor(name),
                        _ => throw new InvalidOperationException($"deploy/topology.tsv names an unknown server '{server}' for {name}"),
                    };
                foreach (var (key, value) in settings ?? new Dictionary<string, string>()) environment[key] = value;
                configure?.Invoke(name, environment);
                fleet.environments[name] = environment;
                fleet.Supervise(ServiceProcess.Start(name, ports[name], environment));
            }
            await Task.WhenAll(fleet.services.Values.Select(s => s.WaitUntilReadyAsync(TimeSpan.FromSeconds(120))));
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops one service's process, runs <paramref name="whileStopped"/>, then starts the service again with
    /// the same port and settings and waits until it is ready.</summary>
    public async Task RestartAsync(string name, Func<Task> whileStopped)
    {
        Kill(name);
        await whileStopped();
        await StartServiceAsync(name);
    }

    /// <summary>SIGKILL of one service's process, as a crash: nothing is flushed or stopped gracefully.</summary>
    public void Kill(string name) => services[name].Dispose();

    /// <summary>Starts a killed service again on its port with its settings, and waits until it is ready.</summary>
    public async Task StartServiceAsync(string name, TimeSpan? timeout = null)
    {
        Supervise(ServiceProcess.Start(name, services[name].BaseAddress.Port, environments[name]));
        await services[name].WaitUntilReadyAsync(timeout ?? TimeSpan.FromSeconds(120));
    }

    /// <summary>Exit code with which a service asks to be started again (ReceiveEndpointWatchdog.RestartExitCode), as
    /// Kubernetes or compose would: the test fleet does what they do.</summary>
    public const int RestartExitCode = 75;

    /// <summary>How many times a service asked to be restarted and was.</summary>
    public int Restarts => restarts;

    private int restarts;
    private bool disposed;

    private void Supervise(ServiceProcess service)
    {
        services[service.Name] = service;
        _ = service.Exited.ContinueWith(exit =>
        {
            if (exit.Result != RestartExitCode || disposed || services[service.Name] != service) return;
            Interlocked.Increment(ref restarts);
            Console.Error.WriteLine($"{service.Name} exited with {RestartExitCode} and is started again:\n{service.Tail(20)}");
            Supervise(ServiceProcess.Start(service.Name, service.BaseAddress.Port, environments[service.Name]));
        }, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        foreach (var service in Services.Values) service.Dispose();
        try
        {
            // Not from the pool: a fault test may have killed PostgreSQL under the pooled connections.
            await using var connection = new NpgsqlConnection(
                new NpgsqlConnectionStringBuilder(Infrastructure.Postgres) { Database = "postgres", Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            foreach (var name in ServiceNames)
            {
                var database = new NpgsqlConnectionStringBuilder(PostgresFor(name)).Database;
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
            await RabbitMqManagement(Infrastructure, HttpMethod.Delete, $"vhosts/{RunId}", null);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Cleaning up test fleet {RunId} failed: {e.Message}");
        }
        if (ownsInfrastructure) await Infrastructure.DisposeAsync();
    }

    private static (string User, string Password) Credentials(Infrastructure infrastructure)
    {
        var userInfo = new Uri(infrastructure.RabbitMqUrl).UserInfo.Split(':', 2);
        return userInfo.Length == 2 ? (Uri.UnescapeDataString(userInfo[0]), Uri.UnescapeDataString(userInfo[1])) : ("guest", "guest");
    }

    /// <summary>Messages waiting in one of the fleet's queues, read through the management API and left in place;
    /// empty when the queue does not exist.</summary>
    public async Task<System.Text.Json.Nodes.JsonArray> PeekMessagesAsync(string queue, int count)
    {
        var body = await RabbitMqManagement(Infrastructure, HttpMethod.Post, $"queues/{Uri.EscapeDataString(VirtualHost)}/{queue}/get",
            $$"""{"count":{{count}},"ackmode":"ack_requeue_true","encoding":"auto"}""");
        return body.Length == 0 ? [] : System.Text.Json.Nodes.JsonNode.Parse(body)!.AsArray();
    }

    /// <summary>The fleet's _error queues that hold messages, with their counts (the management API's figures, which lag
    /// by a few seconds).</summary>
    public async Task<Dictionary<string, int>> NonEmptyErrorQueuesAsync()
    {
        var body = await RabbitMqManagement(Infrastructure, HttpMethod.Get, $"queues/{Uri.EscapeDataString(VirtualHost)}?columns=name,messages", null);
        return body.Length == 0 ? [] : System.Text.Json.Nodes.JsonNode.Parse(body)!.AsArray()
            .Where(q => ((string?)q!["name"])!.EndsWith("_error", StringComparison.Ordinal) && (int?)q["messages"] > 0)
            .ToDictionary(q => (string)q!["name"]!, q => (int)q!["messages"]!);
    }

    /// <summary>The prefetch of each consumer on one of the fleet's queues, as the broker holds it.</summary>
    public async Task<int[]> ConsumerPrefetchAsync(string queue)
    {
        var body = await RabbitMqManagement(Infrastructure, HttpMethod.Get, $"consumers/{Uri.EscapeDataString(VirtualHost)}", null);
        return body.Length == 0 ? [] : [.. System.Text.Json.Nodes.JsonNode.Parse(body)!.AsArray()
            .Where(c => (string?)c!["queue"]!["name"] == queue).Select(c => (int)c!["prefetch_count"]!)];
    }

    /// <summary>Calls the RabbitMQ management API; a 404 answers an empty body.</summary>
    private static async Task<string> RabbitMqManagement(Infrastructure infrastructure, HttpMethod method, string path, string? json)
    {
        using var http = new HttpClient { BaseAddress = new Uri(infrastructure.RabbitMqManagementUrl.TrimEnd('/') + "/api/") };
        var (user, password) = Credentials(infrastructure);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound) return "";
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"RabbitMQ management {method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One service process; its output is kept in memory so tests can read its traces and logs.</summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    public string Name { get; }
    public Uri BaseAddress { get; }
    /// <summary>The service's process id (the dotnet host running its DLL).</summary>
    public int ProcessId => process.Id;

    private ServiceProcess(string name, Uri baseAddress, Process process)
    {
        Name = name;
        BaseAddress = baseAddress;
        this.process = process;
    }

    /// <summary>Whether the checkout the services run from has this service: a baseline commit's fleet is the
    /// services it had (one from before the console has none).</summary>
    public static bool IsInCheckout(string name) => Directory.Exists(ServiceDirectory(name));

    // ARFLEET_SERVICES_ROOT runs another checkout's built services (a benchmark's baseline commit, in a git worktree).
    private static string ServiceDirectory(string name) =>
        Path.Combine(Environment.GetEnvironmentVariable("ARFLEET_SERVICES_ROOT") is { Length: > 0 } other ? other : RepositoryRoot(),
            "services", Topology.Service(name).Project);

    public static ServiceProcess Start(string name, int port, IReadOnlyDictionary<string, string> environment)
    {
        var project = Topology.Service(name).Project;
        var directory = ServiceDirectory(name);
        var dll = Path.Combine(directory, "bin", BuildConfiguration(), "net10.0", $"ArFleet.{project}.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is not built: build ArFleet.sln first (./arfleet test does).");

        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = new Process { StartInfo = start };
        var service = new ServiceProcess(name, new Uri($"http://127.0.0.1:{port}"), process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) service.output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) service.output.Enqueue(e.Data); };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            try { service.exited.TrySetResult(process.ExitCode); }
            catch (InvalidOperationException) { service.exited.TrySetResult(-1); } // disposed meanwhile: killed by the test
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    public bool IsRunning => !process.HasExited;

    /// <summary>Completes with the exit code when the process ends.</summary>
    public Task<int> Exited => exited.Task;

    private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Output => string.Join('\n', output);

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{Name} exited with {process.ExitCode}:\n{Tail()}");
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{Name} was not ready within {timeout}:\n{Tail()}");
    }

    public string Tail(int lines = 60) => string.Join('\n', output.TakeLast(lines));

    public void Dispose()
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); process.WaitForExit(10_000); }
        catch (InvalidOperationException) { }
        process.Dispose();
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ArFleet.sln"))) return dir.FullName;
        throw new InvalidOperationException("ArFleet.sln not found above " + AppContext.BaseDirectory);
    }

    private static string BuildConfiguration() =>
        typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
}
