using System.Net.Sockets;
using Npgsql;
using StackExchange.Redis;

namespace ArFleet.ServiceDefaults;

/// <summary>Faults that pass when a dependency comes back (a database, cache or broker restarting, a connection
/// dropped): worth retrying for minutes, where any other failure is a bug or bad data that retrying cannot fix.</summary>
public static class TransientFaults
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        PoisonMessageException => false,
        PostgresException postgres => postgres.IsTransient
            || postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300" || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException => true, // not a server's answer: the connection failed or broke
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException redis => redis.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || redis.Message.StartsWith("OOM", StringComparison.Ordinal),
        SocketException or TimeoutException or HttpRequestException => true,
        // A connection's pipe closed under a write: StackExchange.Redis throws this when Redis dies mid-command (seen in the
        // Redis fault test as a 500), before it reports the connection lost.
        InvalidOperationException { TargetSite.DeclaringType.Namespace: "System.IO.Pipelines" } => true,
        // An HTTP call's resilience pipeline gave up on its dependency (a timeout, an open circuit): it is away, not wrong.
        Polly.ExecutionRejectedException => true,
        MassTransit.ConnectionException or MassTransit.TransportUnavailableException or MassTransit.RequestTimeoutException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
