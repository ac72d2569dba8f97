using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>Bad input gets a clear problem-details answer and never takes a service down.</summary>
[Collection(FleetCollection.Name)]
public sealed class BadInputTests(FleetFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;

    public static TheoryData<string> BadImages => ["text", "empty", "oversized", "truncated png", "decompression bomb", "20,000 px png header"];

    private static byte[] BadImage(string kind) => kind switch
    {
        "text" => "not an image at all"u8.ToArray(),
        "empty" => [],
        "oversized" => new byte[5 * 1024 * 1024],
        "truncated png" => TestImages.Plain(100, 100)[..40],
        "decompression bomb" => PngHeaderClaiming(100_000, 100_000),
        "20,000 px png header" => PngHeaderClaiming(20_000, 20_000),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task A_bad_scan_image_is_refused_with_problem_details(string kind)
    {
        var image = BadImage(kind);
        var app = await Client.CreateTenantAsync("Scan App", "app");
        using var response = await Client.SubmitScanAsync(app.ApiKey, image, "u", "d", wait: 0);
        if (kind == "truncated png")
        {
            // The header is intact, so intake accepts it; recognition cannot decode it and rejects the scan.
            var scan = await Client.GetJsonAsync(Fleet.Ingest, $"/v1/scans/{(await response.Content.ReadFromJsonAsync<JsonObject>())!["scanId"]}?wait=10",
                app.ApiKey);
            Assert.Equal("rejected", (string?)scan["status"]);
        }
        else
        {
            await AssertProblem(response, HttpStatusCode.BadRequest);
        }
        await AssertFleetHealthy();
    }

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task A_bad_target_image_is_refused_with_problem_details(string kind)
    {
        var image = BadImage(kind);
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        using var form = new MultipartFormDataContent { { new StringContent(kind), "name" }, { new ByteArrayContent(image), "image", "t.png" } };
        using var response = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/targets", brand.ApiKey, form);
        if (kind == "truncated png")
        {
            await ArFleetClient.EnsureStatus(response, HttpStatusCode.Accepted);
            var target = await Client.WaitForTargetGradeAsync(brand.ApiKey,
                Guid.Parse((string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["targetId"]!));
            Assert.Equal("rejected", (string?)target["status"]);
            Assert.False(string.IsNullOrEmpty((string?)target["reason"]));
        }
        else
        {
            await AssertProblem(response, HttpStatusCode.BadRequest);
        }
        await AssertFleetHealthy();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_30_MB_upload_is_refused_before_it_is_read(bool chunked)
    {
        var app = await Client.CreateTenantAsync("Scan App", "app");
        var ingest = Fleet.Services["ingest"].ProcessId;
        var (rssBefore, peakBefore) = Memory(ingest);

        const long size = 30L * 1024 * 1024;
        var body = new CountingContent(size, chunked);
        using var form = new MultipartFormDataContent { { new StringContent("u"), "userId" }, { new StringContent("d"), "deviceId" },
            { body, "image", "scan.jpg" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Fleet.Ingest, "/v1/scans?wait=0")) { Content = form };
        request.Headers.Authorization = new("Bearer", app.ApiKey);
        using var http = new HttpClient();
        HttpStatusCode? status = null;
        string? refusal = null;
        try
        {
            using var response = await http.SendAsync(request);
            status = response.StatusCode;
            refusal = await response.Content.ReadAsStringAsync();
        }
        catch (HttpRequestException e)
        {
            refusal = e.Message; // the service answered and closed the connection while the client was still sending
        }

        var (rssAfter, peakAfter) = Memory(ingest);
        output.WriteLine($"{(chunked ? "chunked" : "Content-Length")} 30 MB upload: {status?.ToString() ?? "connection closed"} after the client wrote " +
            $"{body.Written / 1024.0 / 1024:0.0} MB; ingest RSS {rssBefore / 1024} -> {rssAfter / 1024} MB, peak {peakBefore / 1024} -> {peakAfter / 1024} MB");
        if (status is not null)
        {
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("too large", refusal);
        }
        // Refused at the limit (4 MB of image, plus what the sockets buffer), not at Kestrel's default of ~28 MB.
        Assert.True(body.Written < 16L * 1024 * 1024, $"the client wrote {body.Written} bytes before the refusal");
        Assert.True(peakAfter - peakBefore < 24 * 1024, $"ingest's peak resident memory grew by {(peakAfter - peakBefore) / 1024} MB");
        await AssertFleetHealthy();
    }

    /// <summary>Resident and peak resident memory of a process in KiB, from /proc.</summary>
    private static (long Rss, long Peak) Memory(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        long Field(string name) => long.Parse(status.Single(l => l.StartsWith(name + ":")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return (Field("VmRSS"), Field("VmHWM"));
    }

    /// <summary>Zeros written in 64 KiB pieces, counting what the server let through; with or without a Content-Length.</summary>
    private sealed class CountingContent(long size, bool chunked) : HttpContent
    {
        public long Written;

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var piece = new byte[64 * 1024];
            for (long sent = 0; sent < size; sent += piece.Length)
            {
                await stream.WriteAsync(piece);
                Interlocked.Add(ref Written, piece.Length);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = size;
            return !chunked;
        }
    }

    [Fact]
    public async Task A_plain_target_is_rejected_with_a_reason_a_brand_understands()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        var targetId = await Client.UploadTargetAsync(brand.ApiKey, "blank", TestImages.Plain(400, 300));
        var target = await Client.WaitForTargetGradeAsync(brand.ApiKey, targetId);
        Assert.Equal("rejected", (string?)target["status"]);
        Assert.Contains("texture", (string?)target["reason"]);
    }

    [Fact]
    public async Task Requests_without_a_key_get_401_and_with_the_wrong_kind_of_key_403()
    {
        var app = await Client.CreateTenantAsync("Scan App", "app");
        foreach (var (service, path) in new[] { (Fleet.Ingest, "/v1/scans"), (Fleet.Campaigns, "/v1/campaigns"), (Fleet.Webhooks, "/v1/webhook-endpoints") })
        {
            using var anonymous = await Client.SendAsync(HttpMethod.Post, service, path, null, JsonContent.Create(new { }));
            await AssertProblem(anonymous, HttpStatusCode.Unauthorized);
            using var wrongKey = await Client.SendAsync(HttpMethod.Post, service, path, "afk_not-a-real-key", JsonContent.Create(new { }));
            await AssertProblem(wrongKey, HttpStatusCode.Unauthorized);
        }
        using var appCreatingCampaign = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/campaigns", app.ApiKey, JsonContent.Create(new { }));
        await AssertProblem(appCreatingCampaign, HttpStatusCode.Forbidden);
        using var appCreatingTenant = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/tenants", app.ApiKey,
            JsonContent.Create(new { name = "x", kind = "brand" }));
        await AssertProblem(appCreatingTenant, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_device_scanning_too_often_is_told_to_slow_down()
    {
        var app = await Client.CreateTenantAsync("Scan App", "app");
        var photo = TestImages.Plain(64, 64);
        // Limits count in one-minute windows: start early in a window so the loop ends inside it.
        var now = DateTimeOffset.UtcNow;
        if (now.Second > 40) await Task.Delay(TimeSpan.FromSeconds(61 - now.Second));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 125; i++)
        {
            using var response = await Client.SubmitScanAsync(app.ApiKey, photo, $"user-{i}", "one-busy-device", wait: 0);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await AssertProblem(response, HttpStatusCode.TooManyRequests);
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }
        Assert.Equal(120, statuses.Count(s => s == HttpStatusCode.Accepted || s == HttpStatusCode.OK)); // the default per minute
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    [Fact]
    public async Task Another_tenants_scan_answers_404()
    {
        var app = await Client.CreateTenantAsync("Scan App", "app");
        var otherApp = await Client.CreateTenantAsync("Other App", "app");
        using var response = await Client.SubmitScanAsync(app.ApiKey, TestImages.UnrelatedPhoto(1), "u", "d", wait: 0);
        var scanId = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["scanId"]!;
        using var other = await Client.SendAsync(HttpMethod.Get, Fleet.Ingest, $"/v1/scans/{scanId}", otherApp.ApiKey);
        await AssertProblem(other, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_invalid_campaign_is_refused_with_the_field_named()
    {
        var brand = await Client.CreateTenantAsync("Brand", "brand");
        using var response = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/campaigns", brand.ApiKey, JsonContent.Create(new
        {
            name = "Backwards",
            targetIds = new[] { Guid.NewGuid() },
            startsAt = DateTimeOffset.UtcNow.AddHours(1),
            endsAt = DateTimeOffset.UtcNow,
            reward = new { type = "voucher", budget = 3, valueCents = 500, currency = "CNY", validDays = 30 },
        }));
        var problem = await AssertProblem(response, HttpStatusCode.BadRequest);
        Assert.Contains("endsAt", (string?)problem["title"]);
    }

    private async Task AssertFleetHealthy()
    {
        foreach (var service in Fleet.Services.Values)
        {
            Assert.True(service.IsRunning, $"{service.Name} stopped:\n{service.Tail()}");
            using var health = await Client.SendAsync(HttpMethod.Get, service.BaseAddress, "/health/ready", null);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
    }

    private static async Task<JsonObject> AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.False(string.IsNullOrWhiteSpace((string?)problem["title"]));
        return problem;
    }

    /// <summary>A valid PNG header for a huge canvas, and nothing else: it must be refused from the header.</summary>
    private static byte[] PngHeaderClaiming(int width, int height)
    {
        var png = TestImages.Plain(64, 64);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        return png;
    }
}
