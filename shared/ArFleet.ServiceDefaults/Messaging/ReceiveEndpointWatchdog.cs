using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace ArFleet.ServiceDefaults;

public sealed class WatchdogOptions
{
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>How long an endpoint may look stalled before the process exits to be restarted (MassTransit's own
    /// reconnect gets this long first).</summary>
    public TimeSpan RestartAfter { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks, against the broker itself, that each of this instance's receive endpoints is consuming. Under load a
/// broker restart can leave an endpoint that MassTransit reports healthy with no consumer on its queue (a message was in
/// flight when the connection died), and nothing would take it up again. A stalled endpoint makes the health check fail
/// and, if it stays stalled, the process stops with exit code <see cref="RestartExitCode"/> so that its supervisor
/// (Kubernetes, compose, `./arfleet`, the test fleet) starts it again, and the new process declares and consumes every
/// queue afresh. (Stopping and starting MassTransit's bus in the process was tried: its endpoints did not come back.)</summary>
public sealed class ReceiveEndpointWatchdog(
    ReceiveEndpointActivity activity, BrokerAddress broker, IHostEnvironment environment, IHostApplicationLifetime lifetime,
    IOptions<WatchdogOptions> options, ILogger<ReceiveEndpointWatchdog> logger) : BackgroundService
{
    /// <summary>EX_TEMPFAIL: a supervisor restarts a process that exits with it.</summary>
    public const int RestartExitCode = 75;

    public sealed record Verdict(bool BrokerReachable, IReadOnlyList<string> Stalled, string? LastError);

    private sealed class Watch
    {
        public DateTimeOffset? StalledSince;
        public long ReceivedAtLastCheck = -1;
        public bool HadBacklog;
    }

    private readonly Dictionary<string, Watch> watches = [];
    private IConnection? connection;

    public Verdict Current { get; private set; } = new(true, [], null);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { await CheckAsync(stoppingToken); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Receive endpoint check failed");
                    Current = Current with { LastError = e.Message };
                }
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            if (connection is not null) await connection.DisposeAsync();
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var endpoints = activity.Endpoints.ToList();
        if (endpoints.Count == 0) return;
        IConnection probe;
        try
        {
            probe = await ConnectAsync(cancellationToken);
        }
        catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException)
        {
            // Nothing to restart while the broker is away: MassTransit reconnects when it is back.
            foreach (var watch in watches.Values) watch.StalledSince = null;
            Current = new Verdict(false, [], e.Message);
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var stalled = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var watch = watches.TryGetValue(endpoint.Queue, out var w) ? w : watches[endpoint.Queue] = new Watch();
            var (messages, consumers) = await CountAsync(probe, endpoint.Queue, cancellationToken);
            var received = Interlocked.Read(ref endpoint.Received);
            // Not consuming: the queue is gone or has no consumer, or it has held ready messages since the last check while
            // this instance took none of them and has none in flight (a consumer busy retrying is not stalled).
            var idleOverBacklog = messages > 0 && watch.HadBacklog && received == watch.ReceivedAtLastCheck && endpoint.InFlight == 0;
            var notConsuming = consumers is null or 0 || idleOverBacklog;
            watch.HadBacklog = messages > 0;
            watch.ReceivedAtLastCheck = received;
            if (!notConsuming)
            {
                watch.StalledSince = null;
                continue;
            }
            watch.StalledSince ??= now;
            var why = consumers is null ? "queue missing" : consumers == 0 ? "no consumer" : "backlog not taken";
            stalled.Add($"{endpoint.Queue} ({why}, {messages ?? 0} waiting)");
        }
        Current = new Verdict(true, stalled, null);

        var longest = watches.Values.Select(w => w.StalledSince).Where(s => s is not null).Min();
        if (longest is { } since && now - since >= options.Value.RestartAfter) StopForRestart(stalled);
    }

    private void StopForRestart(IReadOnlyList<string> stalled)
    {
        if (Environment.ExitCode == RestartExitCode) return;
        logger.LogCritical("Receive endpoints not consuming for {RestartAfter}: {Stalled}. Stopping with exit code {ExitCode} to be restarted",
            options.Value.RestartAfter, string.Join("; ", stalled), RestartExitCode);
        Environment.ExitCode = RestartExitCode;
        lifetime.StopApplication();
        // A stuck endpoint can hold up a graceful stop; unacknowledged messages go back to their queues either way.
        _ = Task.Delay(TimeSpan.FromSeconds(10)).ContinueWith(_ => Environment.Exit(RestartExitCode), TaskScheduler.Default);
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        if (connection is { IsOpen: true }) return connection;
        if (connection is not null) await connection.DisposeAsync();
        var factory = new ConnectionFactory
        {
            HostName = broker.Host, Port = broker.Port, VirtualHost = broker.VirtualHost, UserName = broker.User, Password = broker.Password,
            ClientProvidedName = Messaging.ServiceName(environment) + "-watchdog",
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        };
        connection = await factory.CreateConnectionAsync(cancellationToken);
        return connection;
    }

    /// <summary>Ready messages and consumers of a queue by a passive declare; nulls when the queue does not exist
    /// (the broker then closes the channel, so each queue gets a channel of its own).</summary>
    private static async Task<(uint? Messages, uint? Consumers)> CountAsync(IConnection probe, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await probe.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
            return (declared.MessageCount, declared.ConsumerCount);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return (null, null);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 405)
        {
            return (0, 1); // exclusive to its own connection (the bus's reply queue), which is then alive and consuming
        }
    }
}
