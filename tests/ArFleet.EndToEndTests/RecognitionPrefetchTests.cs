namespace ArFleet.EndToEndTests;

/// <summary>A recognition worker holds only a few frames more than it has cores, so that workers added under a backlog
/// (KEDA, ./arfleet scale) find frames waiting instead of in another worker's buffer; the other queues keep the fleet's
/// prefetch.</summary>
[Collection(FleetCollection.Name)]
public sealed class RecognitionPrefetchTests(FleetFixture fixture)
{
    [Fact]
    public async Task Recognition_holds_four_frames_a_core_and_the_other_consumers_the_fleets_prefetch()
    {
        // The fleet runs on this machine: its workers count the same cores.
        int[] fourACore = [4 * Environment.ProcessorCount], fleetDefault = [32];
        Assert.Equal(fourACore, await PrefetchAsync("recognition-scan-submitted"));
        Assert.Equal(fourACore, await PrefetchAsync("recognition-target-image-submitted"));
        Assert.Equal(fleetDefault, await PrefetchAsync("ingest-scan-resolved"));
    }

    /// <summary>The management API lists a consumer some seconds after it started (its statistics interval).</summary>
    private async Task<int[]> PrefetchAsync(string queue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var prefetch = await fixture.Fleet.ConsumerPrefetchAsync(queue);
            if (prefetch.Length > 0 || DateTime.UtcNow > deadline) return prefetch;
            await Task.Delay(500);
        }
    }
}
