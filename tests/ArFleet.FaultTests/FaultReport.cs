namespace ArFleet.FaultTests;

/// <summary>What one fault did to a bounded load: what was accepted and how it ended, what was refused and how.</summary>
public sealed record FaultReport(
    string Fault,
    int Submitted,
    int Accepted,
    IReadOnlyDictionary<string, int> Outcomes,
    IReadOnlyDictionary<string, int> FailedBecause,
    IReadOnlyDictionary<string, int> Refused,
    int Rewarded,
    int DistinctVouchers,
    int Budget,
    int VoucherWebhooks,
    double SecondsToDrain,
    string TargetAfterRestart,
    int SelfRestarts)
{
    public override string ToString() =>
        $"{Fault}: accepted {Accepted} of {Submitted}; outcomes {Join(Outcomes)}; failed because {Join(FailedBecause)}; " +
        $"refusals on the way (each tried again) {Join(Refused)}; " +
        $"rewarded {Rewarded} ({DistinctVouchers} distinct vouchers, budget {Budget}); voucher.issued webhooks {VoucherWebhooks}; " +
        $"drained {SecondsToDrain:0.0} s after the restart; target uploaded after the restart: {TargetAfterRestart}; " +
        $"services that restarted themselves (a receive endpoint stopped consuming): {SelfRestarts}";

    private static string Join(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}"));
}
