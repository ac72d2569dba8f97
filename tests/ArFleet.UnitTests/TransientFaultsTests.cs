using System.Net.Sockets;
using ArFleet.ServiceDefaults;
using Npgsql;
using StackExchange.Redis;

namespace ArFleet.UnitTests;

/// <summary>Which failures get minutes of retries (a dependency that will come back) and which only the quick ones.</summary>
public sealed class TransientFaultsTests
{
    public static TheoryData<Exception> Transient() =>
    [
        new RedisConnectionException(ConnectionFailureType.SocketFailure, "No connection is active/available"),
        new RedisTimeoutException("Timeout awaiting response", CommandStatus.Sent),
        new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)),
        new TimeoutException(),
        new HttpRequestException("Connection refused"),
        new InvalidOperationException("wrapped", new SocketException((int)SocketError.ConnectionReset)),
        new MassTransit.RequestTimeoutException("no answer"),
        new Polly.CircuitBreaker.BrokenCircuitException("campaign-rules has been failing"),
        new Polly.Timeout.TimeoutRejectedException("no answer within the pipeline's timeout"),
    ];

    public static TheoryData<Exception> Permanent() =>
    [
        new PoisonMessageException("Currency 'rmb' is not an ISO 4217 code."),
        new InvalidOperationException("a bug"),
        new NullReferenceException(),
        new FormatException(),
        new RedisServerException("WRONGTYPE Operation against a key holding the wrong kind of value"),
        new AggregateException(new TimeoutException(), new FormatException()),
    ];

    [Theory]
    [MemberData(nameof(Transient))]
    public void A_dependency_that_is_away_is_transient(Exception exception) => Assert.True(TransientFaults.IsTransient(exception));

    [Theory]
    [MemberData(nameof(Permanent))]
    public void Bad_data_and_bugs_are_not(Exception exception) => Assert.False(TransientFaults.IsTransient(exception));

    [Fact]
    public void Redis_refusing_writes_when_full_is_transient() =>
        Assert.True(TransientFaults.IsTransient(new RedisServerException("OOM command not allowed when used memory > 'maxmemory'.")));

    [Fact]
    public void A_write_to_a_connection_whose_pipe_closed_is_transient()
    {
        // What StackExchange.Redis let through when Redis was killed mid-command: the pipe's own exception, really thrown.
        var pipe = new System.IO.Pipelines.Pipe();
        pipe.Writer.Complete();
        var closed = Assert.Throws<InvalidOperationException>(() => pipe.Writer.GetSpan());
        Assert.True(TransientFaults.IsTransient(closed));
    }
}
