using System.Diagnostics;
using ArFleet.Recognition.Engine;
using Microsoft.Extensions.Options;

namespace ArFleet.Load;

/// <summary>What the recognition engine alone spends on the load's photos: the target indexed in this process, then
/// ScanRecognizer (what the service runs for each scan) over every photo, timed by this process's CPU. The service's CPU
/// per scan over this is what hosting costs: the message, the claim check, the image-reuse lookup.</summary>
public static class EngineCost
{
    public static double MillisecondsPerScan(byte[] target, IReadOnlyList<byte[]> photos, int passes = 3)
    {
        var options = Options.Create(new RecognitionOptions());
        var extractor = new FeatureExtractor(options);
        using var index = new TargetIndex(options);
        index.Add(new TargetGrader(extractor, options).Assess(target).ToIndexed(Guid.NewGuid(), Guid.NewGuid()));
        var recognizer = new ScanRecognizer(extractor, index, new RecaptureDetector());
        // Compiled code and warm caches, as in a busy service. A photo not recognised costs the service too, so it is timed
        // with the rest (its scans show as unrecognized in the outcomes); a target recognised in none of them makes no load.
        if (photos.Count(photo => recognizer.Recognize(photo) is not null) == 0)
            throw new InvalidOperationException("the engine recognised none of the load's photos");
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.TotalProcessorTime;
        for (var pass = 0; pass < passes; pass++)
            foreach (var photo in photos) recognizer.Recognize(photo);
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalMilliseconds / (passes * photos.Count);
    }
}
