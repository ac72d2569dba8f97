using Npgsql;

namespace ArFleet.ServiceDefaults;

/// <summary>One transaction for a state change and its events: pass <see cref="Transaction"/> to the store, add the
/// events with <see cref="PublishAsync"/>, then <see cref="CommitAsync"/>. Disposed without a commit, it rolls back
/// and none of its events is ever published.</summary>
public sealed class OutboxTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, Outbox outbox) : IAsyncDisposable
{
    public NpgsqlTransaction Transaction => transaction;

    public Task PublishAsync(object message, CancellationToken cancellationToken) => Outbox.AddAsync(transaction, message, cancellationToken);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await transaction.CommitAsync(cancellationToken);
        outbox.Committed();
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
