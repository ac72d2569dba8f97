using ArFleet.Contracts;

namespace ArFleet.VoucherIssuance;

/// <summary>Issues a reward: Redis decides quickly, the ledger confirms exactly, and where the two disagree
/// (Redis lost data or raced a crash) the ledger wins and Redis is corrected.</summary>
public sealed class VoucherIssuer(RedisBudgetGate gate, VoucherLedger ledger, TimeProvider clock)
{
    public async Task<VoucherLedger.Outcome> IssueAsync(RewardRequested request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var verdict = await gate.TryIssueAsync(request, VoucherCode.New(), now);
        if (verdict is RedisBudgetGate.Verdict.Unseeded)
        {
            await gate.SeedAsync(request.CampaignId, await ledger.IssuedCountAsync(request, cancellationToken));
            verdict = await gate.TryIssueAsync(request, VoucherCode.New(), now);
        }

        switch (verdict)
        {
            case RedisBudgetGate.Verdict.Issue(var code):
                var outcome = await ledger.RecordAsync(request, code, now, cancellationToken);
                if (outcome is VoucherLedger.Outcome.Denied denied)
                    await gate.CorrectAsync(request, $"deny:{denied.Reason}", denied.IssuedCount);
                else if (outcome is VoucherLedger.Outcome.Issued issued && issued.Voucher.Code != code)
                    await gate.CorrectAsync(request, $"issue:{issued.Voucher.Code}", null);
                return outcome;
            case RedisBudgetGate.Verdict.Deny(var reason):
                return new VoucherLedger.Outcome.Denied(reason, -1);
            default:
                throw new InvalidOperationException($"Campaign {request.CampaignId} could not be seeded in Redis.");
        }
    }
}
