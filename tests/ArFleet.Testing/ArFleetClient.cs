using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArFleet.Testing;

/// <summary>A thin client of the public API (docs/api.md) for tests and tools.</summary>
public sealed class ArFleetClient(FleetAddresses fleet) : IDisposable
{
    public ArFleetClient(Fleet fleet) : this(fleet.Addresses) { }

    private readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public record Tenant(Guid TenantId, string ApiKey);

    public async Task<Tenant> CreateTenantAsync(string name, string kind)
    {
        using var response = await SendAsync(HttpMethod.Post, fleet.Campaigns, "/v1/tenants", fleet.AdminKey, JsonContent.Create(new { name, kind }));
        await EnsureStatus(response, HttpStatusCode.Created);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return new Tenant(Guid.Parse((string)body["tenantId"]!), (string)body["apiKey"]!);
    }

    public async Task<Guid> UploadTargetAsync(string key, string name, byte[] image, string fileName = "target.png")
    {
        using var form = new MultipartFormDataContent { { new StringContent(name), "name" }, { new ByteArrayContent(image), "image", fileName } };
        using var response = await SendAsync(HttpMethod.Post, fleet.Campaigns, "/v1/targets", key, form);
        await EnsureStatus(response, HttpStatusCode.Accepted);
        return Guid.Parse((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["targetId"]!);
    }

    /// <summary>Polls the target until recognition has graded it (active or rejected).</summary>
    public async Task<JsonObject> WaitForTargetGradeAsync(string key, Guid targetId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var target = await GetJsonAsync(fleet.Campaigns, $"/v1/targets/{targetId}", key);
            if ((string?)target["status"] != "pending" || DateTime.UtcNow > deadline) return target;
            await Task.Delay(100);
        }
    }

    /// <summary>Uploads a synthetic target and waits until recognition has made it active.</summary>
    public async Task<(Guid TargetId, byte[] Image)> CreateActiveTargetAsync(string key, int seed)
    {
        var image = TestImages.Target(seed);
        var targetId = await UploadTargetAsync(key, $"target {seed}", image);
        var target = await WaitForTargetGradeAsync(key, targetId);
        if ((string?)target["status"] != "active") throw new InvalidOperationException($"Target {seed} was not accepted: {target}");
        return (targetId, image);
    }

    /// <summary>A voucher campaign running now, with the given extra fields (limits, geoFence, winProbability...).</summary>
    public static Dictionary<string, object?> VoucherCampaign(Guid targetId, int budget = 100, params (string Field, object? Value)[] extra)
    {
        var campaign = new Dictionary<string, object?>
        {
            ["name"] = "Test campaign",
            ["targetIds"] = new[] { targetId },
            ["startsAt"] = DateTimeOffset.UtcNow.AddMinutes(-1),
            ["endsAt"] = DateTimeOffset.UtcNow.AddHours(1),
            ["reward"] = new { type = "voucher", budget, valueCents = 500, currency = "CNY", validDays = 30 },
            ["action"] = new { type = "h5", url = "https://brand.example/landing" },
        };
        foreach (var (field, value) in extra) campaign[field] = value;
        return campaign;
    }

    public async Task<Guid> CreateCampaignAsync(string key, object campaign)
    {
        using var response = await SendAsync(HttpMethod.Post, fleet.Campaigns, "/v1/campaigns", key, JsonContent.Create(campaign));
        await EnsureStatus(response, HttpStatusCode.Created);
        return Guid.Parse((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["campaignId"]!);
    }

    public async Task<(Guid EndpointId, string Secret)> RegisterWebhookAsync(string key, string url, params string[] eventTypes)
    {
        using var response = await SendAsync(HttpMethod.Post, fleet.Webhooks, "/v1/webhook-endpoints", key, JsonContent.Create(new { url, eventTypes }));
        await EnsureStatus(response, HttpStatusCode.Created);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return (Guid.Parse((string)body["endpointId"]!), (string)body["secret"]!);
    }

    public Task<HttpResponseMessage> SubmitScanAsync(string key, byte[] image, string userId, string deviceId, int wait = 10,
        string? idempotencyKey = null, double? lat = null, double? lon = null, string fileName = "scan.jpg")
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(image), "image", fileName }, { new StringContent(userId), "userId" }, { new StringContent(deviceId), "deviceId" },
        };
        if (lat is not null) form.Add(new StringContent(lat.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lat");
        if (lon is not null) form.Add(new StringContent(lon.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)), "lon");
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fleet.Ingest, $"/v1/scans?wait={wait}")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return http.SendAsync(request);
    }

    /// <summary>The scan a submission answered with, once resolved: a busy machine answers 202 (still processing) after
    /// the submission's wait, and the scan is then waited on again, as an app would.</summary>
    public async Task<JsonObject> ResolvedScanAsync(string key, HttpResponseMessage submitted, TimeSpan? timeout = null)
    {
        var scan = (await submitted.Content.ReadFromJsonAsync<JsonObject>())!;
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while ((string?)scan["status"] == "processing" && DateTime.UtcNow < deadline)
            scan = await GetJsonAsync(fleet.Ingest, $"/v1/scans/{scan["scanId"]}?wait=10", key);
        return scan;
    }

    public async Task<JsonObject> GetJsonAsync(Uri service, string path, string key)
    {
        using var response = await SendAsync(HttpMethod.Get, service, path, key);
        await EnsureStatus(response, HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri service, string path, string? key, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(service, path)) { Content = content };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request);
    }

    public static async Task EnsureStatus(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
            throw new HttpRequestException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, " +
                $"expected {(int)expected}: {await response.Content.ReadAsStringAsync()}");
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public void Dispose() => http.Dispose();
}
