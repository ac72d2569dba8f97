using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace ArFleet.CampaignRules;

/// <summary>The runnable campaigns in memory, by target, so evaluating a scan reads no database. Every change
/// to a campaign is announced (CampaignChanged) and each instance reloads that campaign; a periodic full reload
/// covers an instance that missed announcements while disconnected. It also knows which campaigns have spent their
/// budgets, so that a scan that several campaigns show goes to one that can still reward it (see RuleEvaluator).</summary>
public sealed class CampaignCache(CampaignStore store)
{
    private readonly SemaphoreSlim reloads = new(1, 1); // a later reload always reads a later state
    private Dictionary<Guid, Campaign> campaigns = [];
    private volatile FrozenDictionary<Guid, Campaign[]> byTarget = FrozenDictionary<Guid, Campaign[]>.Empty;
    // A hint, never a decision: voucher-issuance decides every budget exactly. Learnt from the rewards counted when a
    // campaign is (re)loaded, and from every budgetExhausted denial (RewardDeniedConsumer, on each instance).
    private readonly ConcurrentDictionary<Guid, bool> spent = new();

    public IReadOnlyList<Campaign> ForTarget(Guid targetId) => byTarget.TryGetValue(targetId, out var found) ? found : [];

    public int Count => campaigns.Count;

    public bool IsSpent(Campaign campaign) => spent.ContainsKey(campaign.CampaignId);

    public void MarkSpent(Guid campaignId)
    {
        if (campaigns.ContainsKey(campaignId)) spent[campaignId] = true;
    }

    public async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        await reloads.WaitAsync(cancellationToken);
        try
        {
            campaigns = (await store.RunnableAsync(cancellationToken)).ToDictionary(c => c.CampaignId);
            await CountSpentAsync([.. campaigns.Values], cancellationToken);
            foreach (var id in spent.Keys.Where(id => !campaigns.ContainsKey(id))) spent.TryRemove(id, out _);
            Publish();
        }
        finally { reloads.Release(); }
    }

    public async Task ReloadAsync(Guid campaignId, CancellationToken cancellationToken)
    {
        await reloads.WaitAsync(cancellationToken);
        try
        {
            var campaign = await store.GetRunnableAsync(campaignId, cancellationToken);
            var next = new Dictionary<Guid, Campaign>(campaigns);
            spent.TryRemove(campaignId, out _); // its budget may have been raised
            if (campaign is null) next.Remove(campaignId);
            else
            {
                next[campaignId] = campaign;
                await CountSpentAsync([campaign], cancellationToken);
            }
            campaigns = next;
            Publish();
        }
        finally { reloads.Release(); }
    }

    private async Task CountSpentAsync(Campaign[] loaded, CancellationToken cancellationToken)
    {
        var budgets = loaded.Where(c => c.Budget is not null).ToDictionary(c => c.CampaignId, c => c.Budget!.Value);
        var issued = await store.IssuedCountsAsync([.. budgets.Keys], cancellationToken);
        foreach (var (campaignId, count) in issued)
            if (count >= budgets[campaignId]) spent[campaignId] = true;
    }

    private void Publish() =>
        byTarget = campaigns.Values
            .SelectMany(c => c.TargetIds.Select(t => (Target: t, Campaign: c)))
            .GroupBy(x => x.Target)
            .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.Campaign).ToArray());
}
