using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArFleet.Testing;

/// <summary>How much load: at most <paramref name="Scans"/>, at most <paramref name="Concurrency"/> in flight, started no
/// faster than <paramref name="Rate"/> a second (none: as fast as answers come), none started after
/// <paramref name="Duration"/>. Each scan waits up to <paramref name="WaitSeconds"/> for its result, as an app does.</summary>
public sealed record ScanLoadOptions(int Scans, int Concurrency, double? Rate = null, TimeSpan? Duration = null, int WaitSeconds = 10);

/// <summary>One scan's answer: the HTTP status (0: no answer, <see cref="Title"/> says why), the problem's title when
/// refused, the scan's status and outcome, and milliseconds from sending to the answer.</summary>
public sealed record ScanAnswer(int Index, int Status, string? Title, string? ScanStatus, string? Outcome, double Milliseconds)
{
    public bool Accepted => Status is >= 200 and < 300;
    public bool Resolved => Accepted && ScanStatus is not null and not "processing";
}

/// <summary>A bounded load of scans against ingest, each from its own user and device (photos reused round-robin).</summary>
public static class BoundedScanLoad
{
    public static async Task<IReadOnlyList<ScanAnswer>> RunAsync(HttpClient http, Uri ingest, string apiKey, IReadOnlyList<byte[]> photos,
        ScanLoadOptions options, string run, Action<ScanAnswer>? answered = null, CancellationToken cancellationToken = default)
    {
        var answers = new ConcurrentBag<ScanAnswer>();
        var clock = Stopwatch.StartNew();
        var next = -1;
        bool TimeIsUp() => options.Duration is { } duration && clock.Elapsed >= duration;

        async Task WorkAsync()
        {
            while (!cancellationToken.IsCancellationRequested && !TimeIsUp())
            {
                var index = Interlocked.Increment(ref next);
                if (index >= options.Scans) return;
                if (options.Rate is { } rate)
                {
                    var due = TimeSpan.FromSeconds(index / rate) - clock.Elapsed;
                    if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken);
                    if (TimeIsUp()) return;
                }
                var answer = await SendAsync(http, ingest, apiKey, photos[index % photos.Count], options.WaitSeconds, run, index, cancellationToken);
                answers.Add(answer);
                answered?.Invoke(answer);
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(WorkAsync, cancellationToken)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { } // stopped: report what was answered
        return [.. answers.OrderBy(a => a.Index)];
    }

    private static async Task<ScanAnswer> SendAsync(HttpClient http, Uri ingest, string apiKey, byte[] photo, int wait, string run, int index,
        CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(photo), "image", "scan.jpg" },
            { new StringContent($"{run}-user-{index}"), "userId" },
            { new StringContent($"{run}-device-{index}"), "deviceId" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ingest, $"/v1/scans?wait={wait}")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var json = TryParse(body);
            return response.IsSuccessStatusCode
                ? new ScanAnswer(index, (int)response.StatusCode, null, (string?)json?["status"], (string?)json?["outcome"], milliseconds)
                : new ScanAnswer(index, (int)response.StatusCode, (string?)json?["title"] ?? response.ReasonPhrase, null, null, milliseconds);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new ScanAnswer(index, 0, e is TaskCanceledException ? "no answer within the client's timeout" : e.Message, null, null,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private static JsonNode? TryParse(string body)
    {
        try { return JsonNode.Parse(body); }
        catch (JsonException) { return null; }
    }

    /// <summary>The <paramref name="p"/> quantile (0-1) of ascending <paramref name="sorted"/>, nearest rank; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
