using System.Runtime.ExceptionServices;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.ServiceDefaults;

/// <summary>Publishes outbox_messages in id order and deletes each row once RabbitMQ has confirmed it (the RabbitMQ
/// transport uses publisher confirms, so Publish returns only then). One relay at a time per database, under an
/// advisory lock: several instances never take the same row and never reorder events. A crash between the confirm
/// and the delete publishes that row again later; that is acceptable because every consumer is idempotent.</summary>
public sealed class OutboxRelay(NpgsqlDataSource db, IBus bus, OutboxSignal signal, IOptions<OutboxOptions> options, ILogger<OutboxRelay> logger)
    : BackgroundService
{
    private const long AdvisoryLockKey = 0x4f7574626f78; // "Outbox"; DatabaseMigrator's key differs
    private readonly OutboxOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        try
        {
            while (true)
            {
                try
                {
                    var published = await DispatchAsync(stoppingToken);
                    if (failures > 0) logger.LogInformation("Relaying the outbox works again after {Failures} failures", failures);
                    failures = 0;
                    if (published < settings.BatchSize) await signal.WaitAsync(settings.PollInterval, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Broker or database away: the rows stay where they are until a later attempt gets them out.
                    failures++;
                    var delay = RetryDelay(failures);
                    logger.LogWarning(e, "Relaying the outbox failed ({Failures} in a row); trying again in {Delay}", failures, delay);
                    await Task.Delay(delay, stoppingToken);
                }
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // the host is stopping; what is left goes out after the next start
        }
    }

    /// <summary>Publishes up to one batch of pending rows, oldest first, and answers how many went out.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Waits while another instance relays; released at commit, or by the server if this connection dies.
        await using (var lockRelay = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", connection, transaction))
            await lockRelay.ExecuteNonQueryAsync(cancellationToken);

        var rows = new List<(long Id, string MessageType, string Body)>();
        await using (var read = new NpgsqlCommand("SELECT id, message_type, body::text FROM outbox_messages ORDER BY id LIMIT $1", connection, transaction))
        {
            read.Parameters.AddWithValue(settings.BatchSize);
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }

        var published = new List<long>();
        Exception? failure = null;
        foreach (var row in rows)
        {
            if (cancellationToken.IsCancellationRequested) break;
            try
            {
                var (message, type) = OutboxSerializer.Deserialize(row.MessageType, row.Body);
                // Not cancelled by a stop: a publish already on its way is waited for and its row deleted, not sent twice.
                using var timeout = new CancellationTokenSource(settings.PublishTimeout);
                await bus.Publish(message, type, timeout.Token);
                published.Add(row.Id);
            }
            catch (Exception e)
            {
                // Stop at the first failure so that nothing after it overtakes it.
                failure = e;
                break;
            }
        }

        // What was confirmed is deleted even when the batch stopped early, so that it is not sent twice.
        if (published.Count > 0)
        {
            await using var delete = new NpgsqlCommand("DELETE FROM outbox_messages WHERE id = ANY($1)", connection, transaction);
            delete.Parameters.AddWithValue(published.ToArray());
            await delete.ExecuteNonQueryAsync(CancellationToken.None);
        }
        await transaction.CommitAsync(CancellationToken.None);
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
        return published.Count;
    }

    private TimeSpan RetryDelay(int failures)
    {
        var doubled = settings.RetryDelay * Math.Pow(2, Math.Min(failures - 1, 16));
        var capped = doubled < settings.MaxRetryDelay ? doubled : settings.MaxRetryDelay;
        return capped * (0.8 + 0.4 * Random.Shared.NextDouble()); // jitter: instances that failed together retry apart
    }
}
