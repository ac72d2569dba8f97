using Npgsql;
using NpgsqlTypes;

namespace ArFleet.ServiceDefaults;

/// <summary>Publishes events through the service's own database: an event added inside a transaction is published
/// (by OutboxRelay) if and only if that transaction commits, however long the broker or the process is away.</summary>
public sealed class Outbox(NpgsqlDataSource db, OutboxSignal signal)
{
    /// <summary>A new transaction on its own connection, for a state change and the events that announce it.</summary>
    public async Task<OutboxTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        var connection = await db.OpenConnectionAsync(cancellationToken);
        try
        {
            return new OutboxTransaction(connection, await connection.BeginTransactionAsync(cancellationToken), this);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds <paramref name="message"/> inside the caller's own transaction. Call <see cref="Committed"/>
    /// after committing it (OutboxTransaction does both).</summary>
    public static async Task AddAsync(NpgsqlTransaction transaction, object message, CancellationToken cancellationToken)
    {
        var (messageType, body) = OutboxSerializer.Serialize(message);
        await using var command = new NpgsqlCommand("INSERT INTO outbox_messages (message_type, body) VALUES ($1, $2)", transaction.Connection, transaction)
        {
            Parameters = { new() { Value = messageType }, new() { Value = body, NpgsqlDbType = NpgsqlDbType.Jsonb } },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Wakes the relay: a commit that added messages has happened, so they leave now rather than at the next poll.</summary>
    public void Committed() => signal.Wake();
}
