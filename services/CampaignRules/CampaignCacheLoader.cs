namespace ArFleet.CampaignRules;

/// <summary>Fills the cache in the host's Starting phase, which ends before any hosted service starts (the bus and its
/// scan consumers among them, wherever they are registered), then reloads it in full now and then.</summary>
public sealed class CampaignCacheLoader(CampaignCache cache, IConfiguration configuration, ILogger<CampaignCacheLoader> logger)
    : BackgroundService, IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await cache.LoadAllAsync(cancellationToken);
        logger.LogInformation("Loaded {Campaigns} runnable campaigns into the rule cache", cache.Count);
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

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
