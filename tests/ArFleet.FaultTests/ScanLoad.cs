using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ArFleet.FaultTests;

/// <summary>A bounded load of scans, each from a user and device of its own, and the final poll of every accepted one.</summary>
public sealed class ScanLoad(HttpClient http, Uri ingest, string appKey)
{
    /// <summary>An answer other than acceptance: its status, content type, whether it said when to come back, its body;
    /// or the transport error when there was no answer.</summary>
    public sealed record Refusal(HttpStatusCode? Status, string? ContentType, bool RetryAfter, string? Body, string? Error);

    /// <summary>One scan as an app sends it: refused with 503, it is sent again after Retry-After (at most 2 s here) under
    /// the same Idempotency-Key, up to <see cref="Attempts"/> times. ScanId is set once it was accepted.</summary>
    public sealed record Submission(int Index, Guid? ScanId, IReadOnlyList<Refusal> Refusals)
    {
        public bool Accepted => ScanId is not null;
    }

    public const int Attempts = 20;

    public async Task<List<Submission>> SubmitAsync(IReadOnlyList<byte[]> images, int count, int concurrency, CancellationToken cancellationToken)
    {
        var results = new ConcurrentBag<Submission>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < count && !cancellationToken.IsCancellationRequested)
                results.Add(await SubmitOneAsync(index, images[index % images.Count], cancellationToken));
        }));
        return [.. results.OrderBy(r => r.Index)];
    }

    private async Task<Submission> SubmitOneAsync(int index, byte[] image, CancellationToken cancellationToken)
    {
        var refusals = new List<Refusal>();
        for (var attempt = 0; attempt < Attempts && !cancellationToken.IsCancellationRequested; attempt++)
        {
            var (scanId, refusal) = await TryOnceAsync(index, image, cancellationToken);
            if (scanId is not null) return new Submission(index, scanId, refusals);
            refusals.Add(refusal!);
            // Only a refusal that says "try again" (or no answer at all: the service is restarting) is worth another try.
            if (refusal!.Status is not (null or HttpStatusCode.ServiceUnavailable)) break;
            await Task.Delay(TimeSpan.FromSeconds(refusal.Status is null ? 1 : 2), cancellationToken);
        }
        return new Submission(index, null, refusals);
    }

    private async Task<(Guid? ScanId, Refusal? Refusal)> TryOnceAsync(int index, byte[] image, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(image), "image", "scan.jpg" },
            { new StringContent($"user-{index}"), "userId" },
            { new StringContent($"device-{index}"), "deviceId" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ingest, "/v1/scans?wait=0")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", appKey);
        request.Headers.Add("Idempotency-Key", $"load-{index}");
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode && JsonNode.Parse(body)?["scanId"]?.GetValue<string>() is { } id) return (Guid.Parse(id), null);
            return (null, new Refusal(response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter is not null,
                body, null));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, new Refusal(null, null, false, null, e.GetType().Name + ": " + e.Message));
        }
    }

    /// <summary>Polls every scan until none is processing or the deadline passes; returns each scan's last answer
    /// (its JSON body, or null where it answered anything but 200 or 202).</summary>
    public async Task<Dictionary<Guid, JsonObject?>> PollUntilFinalAsync(IReadOnlyCollection<Guid> scanIds, DateTimeOffset deadline,
        CancellationToken cancellationToken)
    {
        var last = new ConcurrentDictionary<Guid, JsonObject?>();
        var pending = new ConcurrentQueue<Guid>(scanIds);
        while (!pending.IsEmpty && DateTimeOffset.UtcNow < deadline)
        {
            var round = new ConcurrentQueue<Guid>();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                while (pending.TryDequeue(out var scanId))
                {
                    var scan = await GetAsync(scanId, cancellationToken);
                    last[scanId] = scan;
                    if (scan is null || (string?)scan["status"] == "processing") round.Enqueue(scanId);
                }
            }));
            pending = round;
            if (!pending.IsEmpty) await Task.Delay(1000, cancellationToken);
        }
        return new Dictionary<Guid, JsonObject?>(last);
    }

    private async Task<JsonObject?> GetAsync(Guid scanId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ingest, $"/v1/scans/{scanId}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", appKey);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            return response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted
                ? await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken)
                : new JsonObject { ["status"] = "http" + (int)response.StatusCode };
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
