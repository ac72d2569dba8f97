using System.Collections.Concurrent;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace ArFleet.VoucherIssuance;

public sealed class VoucherOptions
{
    /// <summary>Buckets a new campaign's budget is split into (at most one per voucher of the budget).</summary>
    public int Buckets { get; set; } = 8;

    /// <summary>How often the reconciliation check compares Redis with the ledger; zero turns it off.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Reservations of one campaign that one ledger commit records at most (GroupCommit).</summary>
    public int MaxBatch { get; set; } = 256;
}

/// <summary>Issues a reward: the user's home bucket in Redis decides quickly (duplicates, limits, exhausted budgets
/// never reach PostgreSQL); a reservation is then recorded in the ledger (by group commit, many to a transaction),
/// which is exact and wins wherever the two disagree (Redis lost data, raced a crash, or a bucket ran dry while
/// others had stock), and Redis is corrected.</summary>
public sealed class VoucherIssuer(RedisBudgetGate gate, VoucherLedger ledger, GroupCommit groupCommit, TimeProvider clock,
    IOptions<VoucherOptions> options)
{
    public abstract record Outcome
    {
        public sealed record Issued(Voucher Voucher) : Outcome;
        public sealed record Denied(RewardDenialReason Reason) : Outcome;
    }

    private readonly ConcurrentDictionary<Guid, Lazy<Task<BudgetLayout>>> layouts = new();
    private readonly ConcurrentDictionary<Guid, Task> seeding = new();

    public async Task<Outcome> IssueAsync(RewardRequested request, CancellationToken cancellationToken)
    {
        var layout = await LayoutAsync(request, cancellationToken);
        var home = layout.HomeBucket(request);
        var now = clock.GetUtcNow();
        var verdict = await gate.TryIssueAsync(layout, home, request, VoucherCode.New(), now);
        for (var attempt = 0; verdict is RedisBudgetGate.Verdict.Unseeded && attempt < 3; attempt++)
        {
            await SeedOnceAsync(layout);
            verdict = await gate.TryIssueAsync(layout, home, request, VoucherCode.New(), now);
        }

        switch (verdict)
        {
            case RedisBudgetGate.Verdict.Deny(RewardDenialReason.BudgetExhausted, _, CheckLedger: true):
                // Redis lost what it knew of this scan. A budget the ledger found exhausted stays so, and nothing is issued
                // after that: what the ledger holds for this scan now is all it will ever hold.
                var before = await ledger.FindByScanAsync(request.ScanId, cancellationToken);
                await gate.SettleAsync(layout, home, request, now, before is null ? "deny:BudgetExhausted" : $"issue:{before.Code}", 0, 0, null);
                return before is null ? new Outcome.Denied(RewardDenialReason.BudgetExhausted) : new Outcome.Issued(before);
            case RedisBudgetGate.Verdict.Deny(_, _, CheckLedger: true):
                // Counters rebuilt after a data loss may include reservations still in flight (or this scan's own first
                // attempt): the ledger decides under the user's bucket lock, consistently with that first attempt.
                return await RecordAsync(layout, home, request, VoucherCode.New(), reservedCode: null, now, cancellationToken);
            case RedisBudgetGate.Verdict.Deny(var reason, _, _):
                return new Outcome.Denied(reason);
            case RedisBudgetGate.Verdict.Issue(var code, Repeat: true):
                // Usually answered from the ledger without a lock; if the first attempt never reached it (a crash between
                // Redis and PostgreSQL), this redelivery completes it with the first attempt's code and reservation.
                if (await ledger.GetAsync(code, cancellationToken) is { } recorded && recorded.ScanId == request.ScanId) return new Outcome.Issued(recorded);
                return await RecordAsync(layout, home, request, code, code, now, cancellationToken);
            case RedisBudgetGate.Verdict.Issue(var code, Repeat: false):
                return await RecordAsync(layout, home, request, code, code, now, cancellationToken);
            case RedisBudgetGate.Verdict.BucketEmpty:
                return await FromAnyBucketAsync(layout, home, request, VoucherCode.New(), reservedCode: null, now, cancellationToken);
            default:
                throw new InvalidOperationException($"Bucket {home} of campaign {request.CampaignId} could not be seeded in Redis.");
        }
    }

    /// <summary>Records in the user's bucket; reservedCode: Redis reserved stock and counted the user for this scan
    /// under that code (null: it did not).</summary>
    private async Task<Outcome> RecordAsync(BudgetLayout layout, int home, RewardRequested request, string code, string? reservedCode,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var recorded = await groupCommit.IssueInBucketAsync(layout, home, request, code, now, cancellationToken);
        return recorded is VoucherLedger.Outcome.BucketFull // the ledger's bucket is used up (whatever Redis thought): the slow path decides
            ? await FromAnyBucketAsync(layout, home, request, code, reservedCode, now, cancellationToken)
            : await SettleAsync(layout, home, request, now, reservedCode, recorded);
    }

    private async Task<Outcome> FromAnyBucketAsync(BudgetLayout layout, int home, RewardRequested request, string code, string? reservedCode,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (recorded, move) = await ledger.IssueFromAnyBucketAsync(layout, home, request, code, now, cancellationToken);
        if (move is not null)
            await Task.WhenAll(gate.AdjustStockAsync(layout.CampaignId, move.Donor, -move.Amount), gate.AdjustStockAsync(layout.CampaignId, home, move.Amount));
        if (recorded is VoucherLedger.Outcome.Denied { Reason: RewardDenialReason.BudgetExhausted }) await gate.MarkExhaustedAsync(layout);
        return await SettleAsync(layout, home, request, now, reservedCode, recorded);
    }

    /// <summary>Stores the ledger's decision in Redis and changes counters and stock as the ledger did: the reservation
    /// (if any) is consumed by the voucher issued under its code and released otherwise; without one, a new voucher
    /// is counted. The usual case, the voucher issued under the reserved code, changes nothing in Redis: no call.</summary>
    private async Task<Outcome> SettleAsync(BudgetLayout layout, int home, RewardRequested request, DateTimeOffset now,
        string? reservedCode, VoucherLedger.Outcome recorded)
    {
        if (recorded is VoucherLedger.Outcome.Issued reserved && reservedCode is not null && reserved.Voucher.Code == reservedCode)
            return new Outcome.Issued(reserved.Voucher);
        var (verdict, counters, stock, outcome) = recorded switch
        {
            VoucherLedger.Outcome.Issued i when reservedCode is null =>
                ($"issue:{i.Voucher.Code}", i.New ? 1 : 0, i.New ? -1 : 0, (Outcome)new Outcome.Issued(i.Voucher)),
            VoucherLedger.Outcome.Issued i => ($"issue:{i.Voucher.Code}", -1, 1, new Outcome.Issued(i.Voucher)),
            VoucherLedger.Outcome.Denied d when reservedCode is null => ($"deny:{d.Reason}", 0, 0, new Outcome.Denied(d.Reason)),
            VoucherLedger.Outcome.Denied d => ($"deny:{d.Reason}", -1, 1, new Outcome.Denied(d.Reason)),
            _ => throw new InvalidOperationException($"Unexpected ledger outcome {recorded}."),
        };
        await gate.SettleAsync(layout, home, request, now, verdict, counters, stock, reservedCode);
        return outcome;
    }

    /// <summary>Rebuilds every bucket's stock from the ledger (after first use or a Redis flush) before issuing resumes;
    /// requests that find the campaign unseeded together wait for one rebuild.</summary>
    private async Task SeedOnceAsync(BudgetLayout layout)
    {
        var seed = seeding.GetOrAdd(layout.CampaignId, _ => SeedAsync(layout));
        try
        {
            await seed;
        }
        finally
        {
            seeding.TryRemove(KeyValuePair.Create(layout.CampaignId, seed));
        }
    }

    private async Task SeedAsync(BudgetLayout layout)
    {
        var quotas = await ledger.BucketQuotasAsync(layout.CampaignId, CancellationToken.None);
        var exhausted = quotas.Sum(q => q.Quota - q.Issued) == 0;
        var rebuilt = quotas.Sum(q => q.Issued) > 0;
        await Task.WhenAll(quotas.Select(q => gate.SeedAsync(layout.CampaignId, q.Bucket, q.Quota - q.Issued, exhausted, rebuilt)));
    }

    /// <summary>The layout is fixed in the ledger by the campaign's first request; a later request that contradicts it
    /// (another tenant, a pool where there was none) can never be honoured.</summary>
    private async Task<BudgetLayout> LayoutAsync(RewardRequested request, CancellationToken cancellationToken)
    {
        // One ledger round trip per campaign and process, however many requests arrive at once.
        var pending = layouts.GetOrAdd(request.CampaignId,
            _ => new Lazy<Task<BudgetLayout>>(() => ledger.EnsureCampaignAsync(request, options.Value.Buckets, CancellationToken.None)));
        BudgetLayout layout;
        try
        {
            layout = await pending.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (pending.Value.IsFaulted)
        {
            layouts.TryRemove(KeyValuePair.Create(request.CampaignId, pending));
            throw;
        }
        if (layout.TenantId != request.TenantId)
            throw new PoisonMessageException($"Campaign {request.CampaignId} belongs to another tenant than the request's {request.TenantId}.");
        if (layout.IsRedEnvelopePool != request.Terms.PoolCents is not null)
            throw new PoisonMessageException(
                $"Campaign {request.CampaignId} was started as a {(layout.IsRedEnvelopePool ? "red-envelope pool" : "voucher budget")}; " +
                "the request says otherwise.");
        return layout;
    }
}
