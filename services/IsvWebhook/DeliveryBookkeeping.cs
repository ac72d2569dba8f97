using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using static ArFleet.IsvWebhook.DeliveryStatus;

namespace ArFleet.IsvWebhook;

/// <summary>Writes what sends came to, many at a time: the senders hand their outcomes over and go on sending, and one
/// loop writes up to <see cref="MaxBatch"/> of them, or what came in <c>Webhooks:FlushInterval</c>, in one transaction
/// of three statements (the endpoints' runs of failures, the attempts with their deliveries' new state, the claims given
/// back). Then it disables the endpoints that answered 410 or have failed for <c>Webhooks:DisableAfter</c>. A batch that
/// cannot be written is tried again, then left to the leases, which bring its deliveries back to be sent again.</summary>
public sealed class DeliveryBookkeeping(
    NpgsqlDataSource db, EndpointDisabler disabler, IOptions<WebhookOptions> options, TimeProvider clock, WebhookMetrics metrics,
    ILogger<DeliveryBookkeeping> logger) : BackgroundService
{
    public const int MaxBatch = 64;
    private static readonly TimeSpan[] RetryWaits = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    /// <summary>The end of each endpoint's run as this batch leaves it: <c>ended</c> when it had a success, then <c>since</c> is
    /// the first failure after the last success, if any; otherwise the run goes on, from <c>since</c> if it had not started.
    /// Rows that would not change are not written (they would lock the endpoint for nothing); every endpoint with a failure
    /// in the batch is returned with its run's start.</summary>
    private const string RunsSql =
        "WITH run AS (SELECT * FROM unnest($1::uuid[], $2::bool[], $3::timestamptz[]) AS run (id, ended, since)), " +
        "changed AS (UPDATE endpoints e SET failing_since = CASE WHEN run.ended THEN run.since ELSE COALESCE(e.failing_since, run.since) END " +
        "  FROM run WHERE e.id = run.id " +
        "  AND e.failing_since IS DISTINCT FROM (CASE WHEN run.ended THEN run.since ELSE COALESCE(e.failing_since, run.since) END) " +
        "  RETURNING e.id, e.failing_since) " +
        "SELECT run.id, CASE WHEN changed.id IS NULL THEN e.failing_since ELSE changed.failing_since END " +
        "FROM run JOIN endpoints e ON e.id = run.id LEFT JOIN changed ON changed.id = run.id WHERE run.since IS NOT NULL";

    /// <summary>The delivery is updated first, which locks it: one deleted meanwhile (with its endpoint) records nothing, and one
    /// being deleted waits. A retry is not scheduled for an endpoint disabled while the attempt was in flight: the disabling
    /// failed the delivery meanwhile (status reads the row as updated), or committed before this statement (the endpoint's row).</summary>
    private const string AttemptsSql =
        "WITH attempt AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::text[], $5::int[], $6::text[], $7::timestamptz[]) " +
        "  AS attempt (id, at, status_code, error, duration_ms, status, next_attempt_at)), " +
        "recorded AS (UPDATE deliveries d SET attempts = d.attempts + 1, last_status_code = attempt.status_code, last_error = attempt.error, " +
        $"  next_attempt_at = attempt.next_attempt_at, locked_until = NULL, status = CASE WHEN attempt.status = '{Pending}' " +
        $"  AND (d.status = '{Failed}' OR EXISTS (SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND e.disabled_at IS NOT NULL)) " +
        $"  THEN '{Failed}' ELSE attempt.status END " +
        "  FROM attempt WHERE d.id = attempt.id RETURNING d.id) " +
        "INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, error, duration_ms) " +
        "SELECT attempt.id, attempt.at, attempt.status_code, attempt.error, attempt.duration_ms FROM attempt JOIN recorded ON recorded.id = attempt.id";

    private const string ReleasesSql =
        "UPDATE deliveries d SET next_attempt_at = COALESCE(released.due_at, d.next_attempt_at), locked_until = NULL " +
        "FROM unnest($1::uuid[], $2::timestamptz[]) AS released (id, due_at) WHERE d.id = released.id";

    private readonly Channel<DeliveryOutcome> outcomes = Channel.CreateUnbounded<DeliveryOutcome>(); // its Count tells a full batch
    private readonly Channel<bool> batchFull = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Hands an outcome over to be written with the next batch; it never waits.</summary>
    public void Record(DeliveryOutcome outcome)
    {
        outcomes.Writer.TryWrite(outcome); // unbounded: always taken
        if (outcomes.Reader.Count >= MaxBatch) batchFull.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<DeliveryOutcome>(MaxBatch);
        try
        {
            while (await outcomes.Reader.WaitToReadAsync(stoppingToken))
            {
                await WaitForBatchAsync(stoppingToken);
                await WriteTakenAsync(batch);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { } // StopAsync writes what is left
    }

    /// <summary>Writes what is left once ExecuteAsync has ended, and also when it never ran: BackgroundService starts it on
    /// the thread pool with the stopping token, so a service stopped right after it started skips it. The dispatcher has
    /// stopped first (it is registered after), so what its senders handed over is all here.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var batch = new List<DeliveryOutcome>(MaxBatch);
        while (outcomes.Reader.Count > 0) await WriteTakenAsync(batch);
    }

    /// <summary>Until a batch is full or the flush interval is up.</summary>
    private async Task WaitForBatchAsync(CancellationToken stoppingToken)
    {
        batchFull.Reader.TryRead(out _); // a signal left from the batch before
        if (outcomes.Reader.Count >= MaxBatch) return;
        using var interval = new CancellationTokenSource(options.Value.FlushInterval, clock);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, interval.Token);
        try { await batchFull.Reader.ReadAsync(wait.Token); }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { } // the interval is up
    }

    private async Task WriteTakenAsync(List<DeliveryOutcome> batch)
    {
        batch.Clear();
        while (batch.Count < MaxBatch && outcomes.Reader.TryRead(out var outcome)) batch.Add(outcome);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // Not cancelled by stopping: a batch begun is finished, and what is left is flushed.
                await WriteAsync(batch, CancellationToken.None);
                return;
            }
            catch (Exception e) when (attempt < RetryWaits.Length)
            {
                logger.LogWarning(e, "Writing {Count} webhook delivery outcomes failed; trying again", batch.Count);
                await Task.Delay(RetryWaits[attempt], clock);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Writing {Count} webhook delivery outcomes failed; their leases bring the deliveries back", batch.Count);
                return;
            }
        }
    }

    /// <summary>Writes a batch of outcomes in one transaction, counts its attempts and disables the endpoints it condemns.</summary>
    public async Task WriteAsync(IReadOnlyList<DeliveryOutcome> batch, CancellationToken cancellationToken)
    {
        var attempts = batch.OfType<DeliveryAttempt>().ToList();
        var releases = batch.OfType<DeliveryRelease>().ToList();
        var runs = Runs(attempts);
        var failingSince = new Dictionary<Guid, DateTimeOffset>();
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            // One round trip; a batch's statements run in one implicit transaction. The endpoints come first, in id order, as
            // the disabler's and a deletion's locks do.
            await using var statements = new NpgsqlBatch(connection);
            if (runs.Count > 0)
                statements.BatchCommands.Add(Statement(RunsSql, runs.Select(r => r.EndpointId).ToArray(), runs.Select(r => r.Ended).ToArray(),
                    runs.Select(r => r.Since).ToArray()));
            if (attempts.Count > 0)
                statements.BatchCommands.Add(Statement(AttemptsSql, attempts.Select(a => a.DeliveryId).ToArray(), attempts.Select(a => a.At).ToArray(),
                    attempts.Select(a => a.StatusCode).ToArray(), attempts.Select(a => a.Error).ToArray(), attempts.Select(a => a.DurationMs).ToArray(),
                    attempts.Select(StatusOf).ToArray(), attempts.Select(a => a.NextAttemptAt).ToArray()));
            if (releases.Count > 0)
                statements.BatchCommands.Add(Statement(ReleasesSql, releases.Select(r => r.DeliveryId).ToArray(), releases.Select(r => r.DueAt).ToArray()));
            if (statements.BatchCommands.Count == 0) return;
            await statements.PrepareAsync(cancellationToken); // once per pooled connection; later batches find them prepared
            await using var reader = await statements.ExecuteReaderAsync(cancellationToken);
            if (runs.Count > 0)
                while (await reader.ReadAsync(cancellationToken))
                    if (!reader.IsDBNull(1)) failingSince[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
            while (await reader.NextResultAsync(cancellationToken)) { } // to the commit, so an error surfaces here
        }
        foreach (var attempt in attempts) metrics.Attempted(attempt.Succeeded, attempt.NextAttemptAt);
        await DisableCondemnedAsync(attempts, failingSince, cancellationToken);
    }

    private async Task DisableCondemnedAsync(List<DeliveryAttempt> attempts, Dictionary<Guid, DateTimeOffset> failingSince,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var gone = attempts.Where(a => a.StatusCode == 410).Select(a => a.EndpointId).ToHashSet();
        var condemned = gone.Select(e => (EndpointId: e, Reason: "The endpoint answered 410 Gone."))
            .Concat(failingSince.Where(f => !gone.Contains(f.Key) && now - f.Value >= options.Value.DisableAfter)
                .Select(f => (EndpointId: f.Key, Reason: $"Every attempt has failed since {f.Value:O}.")));
        foreach (var (endpointId, reason) in condemned)
        {
            try
            {
                if (await disabler.DisableAsync(endpointId, reason, now, cancellationToken))
                    logger.LogWarning("Webhook endpoint {EndpointId} disabled: {Reason}", endpointId, reason);
            }
            catch (Exception e)
            {
                // The attempts are recorded; the endpoint's next failure condemns it again.
                logger.LogError(e, "Disabling webhook endpoint {EndpointId} failed", endpointId);
            }
        }
    }

    private static string StatusOf(DeliveryAttempt attempt) => attempt.Succeeded ? Succeeded : attempt.NextAttemptAt is null ? Failed : Pending;

    private sealed record Run(Guid EndpointId, bool Ended, DateTimeOffset? Since);

    /// <summary>Each endpoint's run of failures through the batch's attempts in the order they were recorded.</summary>
    private static List<Run> Runs(List<DeliveryAttempt> attempts)
    {
        var runs = new Dictionary<Guid, Run>();
        foreach (var attempt in attempts)
        {
            var run = runs.GetValueOrDefault(attempt.EndpointId) ?? new Run(attempt.EndpointId, false, null);
            runs[attempt.EndpointId] = attempt.Succeeded ? run with { Ended = true, Since = null } : run with { Since = run.Since ?? attempt.At };
        }
        return [.. runs.Values.OrderBy(r => r.EndpointId)];
    }

    private static NpgsqlBatchCommand Statement(string sql, params object[] arrays)
    {
        var statement = new NpgsqlBatchCommand(sql);
        foreach (var array in arrays) statement.Parameters.Add(new NpgsqlParameter { Value = array });
        return statement;
    }
}
