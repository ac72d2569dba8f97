using System.Collections.Frozen;

namespace ArFleet.CampaignRules;

/// <summary>The runnable campaigns in memory, by target, so evaluating a scan reads no database. Every change
/// to a campaign is announced (CampaignChanged) and each instance reloads that campaign; a periodic full reload
/// covers an instance that missed announcements while disconnected.</summary>
public sealed class CampaignCache(CampaignStore store)
{
    private readonly SemaphoreSlim reloads = new(1, 1); // a later reload always reads a later state
    private Dictionary<Guid, Campaign> campaigns = [];
    private volatile FrozenDictionary<Guid, Campaign[]> byTarget = FrozenDictionary<Guid, Campaign[]>.Empty;

    public IReadOnlyList<Campaign> ForTarget(Guid targetId) => byTarget.TryGetValue(targetId, out var found) ? found : [];

    public int Count => campaigns.Count;

    public async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        await reloads.WaitAsync(cancellationToken);
        try
        {
            campaigns = (await store.RunnableAsync(cancellationToken)).ToDictionary(c => c.CampaignId);
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
            if (campaign is null) next.Remove(campaignId);
            else next[campaignId] = campaign;
            campaigns = next;
            Publish();
        }
        finally { reloads.Release(); }
    }

    private void Publish() =>
        byTarget = campaigns.Values
            .SelectMany(c => c.TargetIds.Select(t => (Target: t, Campaign: c)))
            .GroupBy(x => x.Target)
            .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.Campaign).ToArray());
}
