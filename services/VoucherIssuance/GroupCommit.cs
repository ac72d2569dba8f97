using System.Collections.Concurrent;
using ArFleet.Contracts;
using Microsoft.Extensions.Options;

namespace ArFleet.VoucherIssuance;

/// <summary>Records a campaign's reservations in the ledger by group commit: while one batch's transaction runs, the
/// reservations that arrive queue up, and the next transaction records all of them (up to Vouchers:MaxBatch) with one
/// commit. A reservation's task completes only after the commit that recorded it, so a RewardRequested message is
/// acknowledged only once its voucher is durable; a crash mid-batch loses nothing that was acknowledged. Alone, a
/// reservation is recorded at once, as before. If a batch fails, each of its reservations is recorded on its own (as is
/// any the batch left out), so that one bad reservation fails only itself and each caller gets its own answer.</summary>
public sealed class GroupCommit(VoucherLedger ledger, IOptions<VoucherOptions> options, ILogger<GroupCommit> logger)
{
    private sealed record Pending(VoucherLedger.Reservation Reservation, TaskCompletionSource<VoucherLedger.Outcome> Done);

    /// <summary>One per campaign: the reservations waiting for the next batch, and whether a batch is running.</summary>
    private sealed class CampaignQueue
    {
        public readonly List<Pending> Waiting = [];
        public bool Running;
    }

    private readonly ConcurrentDictionary<Guid, CampaignQueue> queues = new();

    public Task<VoucherLedger.Outcome> IssueInBucketAsync(BudgetLayout layout, int bucket, RewardRequested request, string code, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var pending = new Pending(new VoucherLedger.Reservation(bucket, request, code, now),
            new TaskCompletionSource<VoucherLedger.Outcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        var queue = queues.GetOrAdd(layout.CampaignId, _ => new CampaignQueue());
        bool start;
        lock (queue)
        {
            queue.Waiting.Add(pending);
            start = !queue.Running;
            queue.Running = true;
        }
        if (start) _ = Task.Run(() => DrainAsync(layout, queue));
        // A caller that stops waiting leaves its reservation to the batch: if it commits, the redelivery finds it.
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task DrainAsync(BudgetLayout layout, CampaignQueue queue)
    {
        while (true)
        {
            List<Pending> batch;
            lock (queue)
            {
                if (queue.Waiting.Count == 0)
                {
                    queue.Running = false;
                    return;
                }
                var take = Math.Min(queue.Waiting.Count, Math.Max(1, options.Value.MaxBatch));
                batch = queue.Waiting.GetRange(0, take);
                queue.Waiting.RemoveRange(0, take);
            }
            await RecordAsync(layout, batch);
        }
    }

    private async Task RecordAsync(BudgetLayout layout, List<Pending> batch)
    {
        var alone = batch;
        if (batch.Count > 1)
        {
            try
            {
                var outcomes = await ledger.IssueBatchAsync(layout, batch.Select(p => p.Reservation).ToList(), CancellationToken.None);
                alone = [];
                for (var i = 0; i < batch.Count; i++)
                    if (outcomes[i] is { } outcome) batch[i].Done.SetResult(outcome);
                    else alone.Add(batch[i]);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Campaign {CampaignId}: a batch of {Count} reservations failed; recording each on its own", layout.CampaignId,
                    batch.Count);
            }
        }
        await Task.WhenAll(alone.Select(async p =>
        {
            try
            {
                var (bucket, request, code, now) = p.Reservation;
                p.Done.SetResult(await ledger.IssueInBucketAsync(layout, bucket, request, code, now, CancellationToken.None));
            }
            catch (Exception e)
            {
                p.Done.SetException(e);
            }
        }));
    }
}
