using System.Text.Json.Nodes;

namespace ArFleet.ServiceDefaults.Tests;

/// <summary>The outbox against the real PostgreSQL and RabbitMQ: what commits goes out, in order and as stored; what
/// rolls back never does; nothing is lost while the broker is away; two relays never both send a row.</summary>
public class OutboxRelayTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static OutboxProbe Probe(int sequence) =>
        new(sequence, Guid.NewGuid(), [(byte)sequence, 0, 255, 42], DateTimeOffset.UtcNow.AddTicks(-sequence));

    [Fact]
    public async Task A_row_written_in_a_rolled_back_transaction_is_never_published()
    {
        await using var bed = await OutboxTestBed.StartAsync();
        await using (var abandoned = await bed.Outbox.BeginAsync(default))
            await abandoned.PublishAsync(Probe(1), default); // disposed without a commit: rolled back
        await bed.CommitAsync(Probe(2));

        var bus = bed.CreateBus();
        await bus.StartAsync();
        var relay = bed.CreateRelay(bus);
        await relay.StartAsync(default);
        await bed.WaitForAsync(1, Patience);
        await Task.Delay(500); // anything else would have followed by now
        await relay.StopAsync(default);

        Assert.Equal([2], bed.Received.Select(p => p.Sequence));
        Assert.Equal(0, await bed.PendingAsync());
    }

    [Fact]
    public async Task A_committed_row_is_published_at_once_and_exactly_as_stored()
    {
        await using var bed = await OutboxTestBed.StartAsync();
        var bus = bed.CreateBus();
        await bus.StartAsync();
        // An hour between polls: only the wake after the commit can get the row out within the test.
        var relay = bed.CreateRelay(bus, pollInterval: TimeSpan.FromHours(1));
        await relay.StartAsync(default);
        await Task.Delay(500); // the relay has found the table empty and sleeps

        var sent = Probe(7);
        await bed.CommitAsync(sent);
        await bed.WaitForAsync(1, TimeSpan.FromSeconds(5));
        await relay.StopAsync(default);

        var received = Assert.Single(bed.Received);
        Assert.Equal((sent.Sequence, sent.RunId, sent.OccurredAt), (received.Sequence, received.RunId, received.OccurredAt));
        Assert.Equal(sent.Payload, received.Payload);
        Assert.Equal(0, await bed.PendingAsync());
    }

    [Fact]
    public async Task A_row_is_stored_as_its_type_name_and_the_json_that_MassTransit_reads()
    {
        await using var bed = await OutboxTestBed.StartAsync();
        var sent = Probe(3);
        await bed.CommitAsync(sent);

        await using var command = bed.Db.CreateCommand("SELECT message_type, body::text FROM outbox_messages");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("ArFleet.ServiceDefaults.Tests.OutboxProbe, ArFleet.ServiceDefaults.Tests", reader.GetString(0));
        var body = JsonNode.Parse(reader.GetString(1))!;
        Assert.Equal(sent.RunId, body["runId"]!.GetValue<Guid>());
        Assert.Equal(Convert.ToBase64String(sent.Payload), body["payload"]!.GetValue<string>());
        var (message, type) = OutboxSerializer.Deserialize(reader.GetString(0), reader.GetString(1));
        Assert.Equal(typeof(OutboxProbe), type);
        Assert.Equal(sent with { Payload = [] }, (OutboxProbe)message with { Payload = [] });
    }

    [Fact]
    public async Task Rows_stay_while_the_broker_is_down_and_go_out_in_order_once_it_is_back()
    {
        await using var bed = await OutboxTestBed.StartAsync();
        await using var gate = new TcpGate(bed.Broker.Host, bed.Broker.Port);
        var bus = bed.CreateBus(port: gate.Port); // nothing listens there yet: every publish fails or times out
        var relay = bed.CreateRelay(bus);
        await relay.StartAsync(default);
        await bed.CommitAsync(Probe(1), Probe(2));
        await bed.CommitAsync(Probe(3));

        await Task.Delay(TimeSpan.FromSeconds(3)); // several failed attempts, with backoff
        Assert.Empty(bed.Received);
        Assert.Equal(3, await bed.PendingAsync());

        gate.Open();
        await bed.WaitForAsync(3, Patience);
        await relay.StopAsync(default);

        Assert.Equal([1, 2, 3], bed.Received.Select(p => p.Sequence));
        Assert.Equal(0, await bed.PendingAsync());
    }

    [Fact]
    public async Task The_relay_outlives_a_database_outage_and_then_publishes_what_waits()
    {
        await using var bed = await OutboxTestBed.StartAsync();
        await using var gate = new TcpGate(bed.Postgres.Host, bed.Postgres.Port);
        var bus = bed.CreateBus();
        await bus.StartAsync();
        var relay = bed.CreateRelay(bus, db: bed.DatabaseThrough(gate.Port)); // the database is down, as this relay sees it
        await relay.StartAsync(default);
        await bed.CommitAsync(Probe(1));

        await Task.Delay(TimeSpan.FromSeconds(3)); // several failed attempts, with backoff
        Assert.Empty(bed.Received);
        Assert.False(relay.ExecuteTask!.IsCompleted); // failing, and still running

        gate.Open();
        await bed.WaitForAsync(1, Patience);
        await relay.StopAsync(default);
        Assert.Equal(0, await bed.PendingAsync());
    }

    [Fact]
    public async Task Two_relays_on_one_table_never_both_take_a_row()
    {
        await using var bed = await OutboxTestBed.StartAsync();
        const int count = 300;
        await bed.CommitAsync([.. Enumerable.Range(0, count).Select(Probe)]);
        var (busA, busB) = (bed.CreateBus(), bed.CreateBus());
        await Task.WhenAll(busA.StartAsync(), busB.StartAsync());
        var (relayA, relayB) = (bed.CreateRelay(busA), bed.CreateRelay(busB));

        // Both drain the same table at the same time, batch after batch, until it is empty.
        static async Task<int> DrainAsync(OutboxRelay relay)
        {
            var total = 0;
            for (int published; (published = await relay.DispatchAsync(default)) > 0;) total += published;
            return total;
        }
        var published = await Task.WhenAll(DrainAsync(relayA), DrainAsync(relayB));
        await bed.WaitForAsync(count, Patience);
        await Task.Delay(500); // a duplicate would have arrived by now

        Assert.Equal(count, published.Sum());
        Assert.Equal(Enumerable.Range(0, count), bed.Received.Select(p => p.Sequence));
        Assert.Equal(0, await bed.PendingAsync());
    }
}
