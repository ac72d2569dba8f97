namespace ArFleet.Recognition;

/// <summary>Fills this worker's index from the store, once, when IndexConsumersStarter asks: after the bus has started,
/// so its temporary queues of target events hold every event published after the store is read.</summary>
public sealed class TargetIndexLoader(TargetFeatureStore store, TargetIndex index, ILogger<TargetIndexLoader> logger)
{
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once every stored target is in the index.</summary>
    public Task Loaded => loaded.Task;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        await foreach (var (target, active) in store.AllAsync(cancellationToken))
        {
            if (!active) index.SetActive(target.TargetId, false);
            if (!index.Add(target)) target.Descriptors.Dispose();
        }
        loaded.SetResult();
        logger.LogInformation("Loaded {Targets} targets into the index in {Elapsed} ms", index.Count, started.ElapsedMilliseconds);
    }
}
