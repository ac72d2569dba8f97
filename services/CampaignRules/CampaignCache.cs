using System.Collections.Frozen;
using ArFleet.Contracts;
using MassTransit;

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

/// <summary>Fills the cache before the service consumes scans, then reloads it in full now and then.</summary>
public sealed class CampaignCacheLoader(CampaignCache cache, IConfiguration configuration, ILogger<CampaignCacheLoader> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await cache.LoadAllAsync(cancellationToken);
        logger.LogInformation("Loaded {Campaigns} runnable campaigns into the rule cache", cache.Count);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("Rules:CacheReloadInterval", TimeSpan.FromMinutes(5));
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { await cache.LoadAllAsync(stoppingToken); }
            catch (Exception e) when (e is not OperationCanceledException) { logger.LogWarning(e, "Reloading the rule cache failed"); }
        }
    }
}

/// <summary>Runs on every instance (a temporary queue each).</summary>
public sealed class TenantStatusChangedConsumer(CampaignCache cache) : IConsumer<TenantStatusChanged>
{
    public Task Consume(ConsumeContext<TenantStatusChanged> context) => cache.LoadAllAsync(context.CancellationToken);
}

/// <summary>Runs on every instance (a temporary queue each).</summary>
public sealed class CampaignChangedConsumer(CampaignCache cache) : IConsumer<CampaignChanged>
{
    public Task Consume(ConsumeContext<CampaignChanged> context) => cache.ReloadAsync(context.Message.CampaignId, context.CancellationToken);
}
