using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ArFleet.Webhooks.Receiver;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ArFleet.Demo;

/// <summary>The product in one command, on a fleet that is up: a brand and an app, the demo poster as a target, a campaign,
/// a local webhook receiver, one camera-like photo scanned; prints the outcome, the voucher and the verified webhook, then
/// the console's URL and the keys to sign in with. Fails (exit 1) unless the scan is rewarded and the webhook verifies.</summary>
public static class DemoRun
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void Say(string text) => System.Console.WriteLine($"[{Clock.Elapsed.TotalSeconds,5:0.0} s] {text}");

    public static async Task<int> RunAsync(string endpointsFile, string assets)
    {
        var endpoints = JsonNode.Parse(await File.ReadAllTextAsync(endpointsFile))!;
        Uri Url(string name) =>
            new((string?)endpoints[name] ?? throw new InvalidOperationException($"{endpointsFile} has no \"{name}\": ./arfleet up writes it"));
        var campaigns = Url("campaigns");
        var ingest = Url("ingest");
        var webhooks = Url("webhooks");
        var console = Url("console");
        var admin = (string)endpoints["adminKey"]!;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var suffix = DateTime.UtcNow.ToString("HHmmss");
        var stateFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(endpointsFile))!, "demo.json");
        await RetirePreviousRunAsync(http, campaigns, stateFile);

        var brand = await SendAsync(http, HttpMethod.Post, campaigns, "/v1/tenants", admin, new { name = $"Demo Tea {suffix}", kind = "brand" });
        var app = await SendAsync(http, HttpMethod.Post, campaigns, "/v1/tenants", admin, new { name = $"Demo Scan App {suffix}", kind = "app" });
        var brandKey = (string)brand["apiKey"]!;
        var appKey = (string)app["apiKey"]!;
        Say($"brand {brand["tenantId"]} and app {app["tenantId"]} created");

        await using var receiver = await Receiver.StartAsync();
        var endpoint = await SendAsync(http, HttpMethod.Post, webhooks, "/v1/webhook-endpoints", brandKey,
            new { url = receiver.Url, eventTypes = new[] { "scan.resolved", "voucher.issued" } });
        Say($"webhook receiver listening on {receiver.Url}, registered as endpoint {endpoint["endpointId"]}");

        using var form = new MultipartFormDataContent
        {
            { new StringContent("ArFleet Spring Festival poster"), "name" },
            { new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(assets, "poster.png"))), "image", "poster.png" },
        };
        var targetId = (string)(await SendAsync(http, HttpMethod.Post, campaigns, "/v1/targets", brandKey, form))["targetId"]!;
        JsonNode target;
        do
        {
            await Task.Delay(250);
            target = await SendAsync(http, HttpMethod.Get, campaigns, $"/v1/targets/{targetId}", brandKey);
        } while ((string?)target["status"] == "pending" && Clock.Elapsed < TimeSpan.FromSeconds(40));
        Say($"target {targetId} from {assets}/poster.png: {target["status"]}, grade {target["grade"]} of 5{(target["reason"] is { } r ? $" ({r})" : "")}");
        if ((string?)target["status"] != "active") return Fail("the poster was not accepted as a target");

        var campaign = await SendAsync(http, HttpMethod.Post, campaigns, "/v1/campaigns", brandKey, new
        {
            name = "Spring festival (demo)",
            targetIds = new[] { targetId },
            startsAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            endsAt = DateTimeOffset.UtcNow.AddDays(30),
            reward = new { type = "voucher", budget = 1000, valueCents = 500, currency = "CNY", validDays = 30 },
            limits = new { perUser = 1 },
            action = new { type = "h5", url = "https://tea.example/spring" },
        });
        var campaignId = (string)campaign["campaignId"]!;
        await File.WriteAllTextAsync(stateFile, new JsonObject { ["brandKey"] = brandKey, ["campaignId"] = campaignId,
            ["targetId"] = targetId }.ToJsonString());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(stateFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // a brand key
        Say($"campaign {campaignId}: 1,000 vouchers of 5 CNY, one per user, opening https://tea.example/spring");

        using var scanForm = new MultipartFormDataContent
        {
            { new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(assets, "photo-of-poster.jpg"))), "image", "photo-of-poster.jpg" },
            { new StringContent("alice"), "userId" }, { new StringContent("alice-phone"), "deviceId" },
        };
        var scan = await SendAsync(http, HttpMethod.Post, ingest, "/v1/scans?wait=10", appKey, scanForm, ("Idempotency-Key", $"demo-{suffix}"));
        // Still processing after the 10 s wait (a busy machine): wait on it again, as an app would.
        for (var i = 0; (string?)scan["status"] == "processing" && i < 5; i++)
            scan = await SendAsync(http, HttpMethod.Get, ingest, $"/v1/scans/{scan["scanId"]}?wait=10", appKey);
        Say($"scan of {assets}/photo-of-poster.jpg by alice: {scan["status"]}, outcome {scan["outcome"]}");
        System.Console.WriteLine(scan.ToJsonString(Indented));
        if ((string?)scan["outcome"] != "rewarded") return Fail("the scan was not rewarded");

        var secret = (string)endpoint["secret"]!;
        var delivery = await receiver.WaitForAsync("voucher.issued", TimeSpan.FromSeconds(30));
        if (delivery is null) return Fail("no voucher.issued webhook arrived within 30 s");
        try { new WebhookVerifier(secret).Verify(delivery.Id, delivery.Timestamp, delivery.Signature, delivery.Body); }
        catch (WebhookVerificationException e) { return Fail($"the webhook did not verify: {e.Message}"); }
        Say($"webhook {delivery.Id} (voucher.issued) verified with the endpoint's secret (Standard Webhooks signature {delivery.Signature![..12]}…):");
        System.Console.WriteLine(JsonNode.Parse(delivery.Body)!.ToJsonString(Indented));

        System.Console.WriteLine($"""

            The console:    {console}
              brand key:    {brandKey}   (targets, campaigns, the dashboard of campaign {campaignId}, webhooks)
              app key:      {appKey}   (the scanner page)
              scanner:      {new Uri(console, "/#/scan")}?key={appKey}
            Done in {Clock.Elapsed.TotalSeconds:0.0} s.
            """);
        return 0;
    }

    /// <summary>The same poster registered again would be matched by the previous run's target, which came first: the
    /// previous run's campaign is ended and its target deleted (its brand's key is kept beside endpoints.json).</summary>
    private static async Task RetirePreviousRunAsync(HttpClient http, Uri campaigns, string stateFile)
    {
        if (!File.Exists(stateFile)) return;
        var previous = JsonNode.Parse(await File.ReadAllTextAsync(stateFile))!;
        var key = (string)previous["brandKey"]!;
        foreach (var (method, path) in new[] { (HttpMethod.Post, $"/v1/campaigns/{previous["campaignId"]}/end"),
            (HttpMethod.Delete, $"/v1/targets/{previous["targetId"]}") })
        {
            using var request = new HttpRequestMessage(method, new Uri(campaigns, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request);
            // Gone already (404), ended already (409) or a fleet with fresh data (401): nothing left to retire.
            if (!response.IsSuccessStatusCode && response.StatusCode is not (HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.Unauthorized))
                throw new HttpRequestException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        File.Delete(stateFile);
        Say("the previous demo's campaign ended and its target deleted (the same poster would match it first)");
    }

    private static int Fail(string why)
    {
        System.Console.Error.WriteLine($"demo failed: {why}");
        return 1;
    }

    private static async Task<JsonNode> SendAsync(HttpClient http, HttpMethod method, Uri service, string path, string key, object? body = null,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, new Uri(service, path))
        {
            Content = body switch { null => null, HttpContent content => content, _ => JsonContent.Create(body) },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"{method} {request.RequestUri} answered {(int)response.StatusCode}: {text}", null, response.StatusCode);
        return JsonNode.Parse(text)!;
    }

    /// <summary>The ISV's side, on loopback: records each delivery with its Standard Webhooks headers.</summary>
    private sealed class Receiver(WebApplication app, string url) : IAsyncDisposable
    {
        public record Delivery(string? Id, string? Timestamp, string? Signature, string Type, string Body);

        private readonly System.Collections.Concurrent.ConcurrentQueue<Delivery> deliveries = new();
        public string Url { get; } = url;

        public static async Task<Receiver> StartAsync()
        {
            var url = $"http://127.0.0.1:{Testing.Fleet.FreePort()}/hooks";
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(new Uri(url).GetLeftPart(UriPartial.Authority));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app, url);
            app.MapPost("/hooks", async (HttpRequest request) =>
            {
                using var reader = new StreamReader(request.Body);
                var body = await reader.ReadToEndAsync();
                var type = (string?)JsonNode.Parse(body)?["type"] ?? "?";
                receiver.deliveries.Enqueue(new Delivery(request.Headers["webhook-id"], request.Headers["webhook-timestamp"],
                    request.Headers["webhook-signature"], type, body));
                return Results.NoContent();
            });
            await app.StartAsync();
            return receiver;
        }

        public async Task<Delivery?> WaitForAsync(string type, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (deliveries.FirstOrDefault(d => d.Type == type) is { } delivery) return delivery;
                await Task.Delay(100);
            }
            return null;
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
