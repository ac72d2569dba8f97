using System.Text;
using ArFleet.Contracts;

namespace ArFleet.VoucherIssuance;

/// <summary>How a campaign's budget is laid out, fixed in the ledger when its first reward is requested.
/// A user of an app always maps to one home bucket, so each user's limits are decided atomically within that bucket.</summary>
public sealed record BudgetLayout(Guid CampaignId, Guid TenantId, int Budget, long? PoolCents, int Buckets)
{
    public bool IsRedEnvelopePool => PoolCents is not null;

    /// <summary>The bucket of the user whose limits the request counts (the app's user, LimitIdentity).</summary>
    public int HomeBucket(RewardRequested request) => HomeBucket(request.AppUser());

    public int HomeBucket(string user) => Buckets == 1 ? 0 : (int)(Fnv1a(user) % (uint)Buckets);

    /// <summary>Bucket b's share of the budget; the first (budget mod buckets) get one more.</summary>
    public int Quota(int bucket) => Budget / Buckets + (bucket < Budget % Buckets ? 1 : 0);

    /// <summary>Stable across processes and .NET versions, unlike string.GetHashCode.</summary>
    private static uint Fnv1a(string value)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(value)) hash = (hash ^ b) * 16777619u;
        return hash;
    }
}
