using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ArFleet.ServiceDefaults.Tests;

/// <summary>The per-key token bucket as the services wire it (AddServiceDefaults, MapDefaultEndpoints, a route group
/// asking for ApiRateLimits.PerKey), on a real Kestrel with a small bucket.</summary>
public sealed class ApiKeyRateLimitTests : IAsyncLifetime
{
    private WebApplication app = null!;
    private readonly HttpClient http = new();

    public async Task InitializeAsync()
    {
        var port = Fleet.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ArFleet:RateLimits:PerKey:TokenLimit"] = "3",
            ["ArFleet:RateLimits:PerKey:TokensPerSecond"] = "1",
        });
        builder.AddServiceDefaults();
        app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGroup("/v1/things").RequireRateLimiting(ApiRateLimits.PerKey).MapGet("", () => Results.Ok(new { ok = true }));
        await app.StartAsync();
        http.BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    private async Task<HttpResponseMessage> GetAsync(string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/things");
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_key_over_its_bucket_gets_429_problem_details_with_retry_after_and_other_keys_are_unaffected()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("key-warm-up")).StatusCode);
        // The bucket holds 3 and refills a token a second, and a loaded machine can take that long over a few requests:
        // key-a is served its 3 and at most one more for each second that passed, then refused.
        var clock = Stopwatch.StartNew();
        var served = 0;
        HttpResponseMessage? response;
        while ((response = await GetAsync("key-a")).StatusCode == HttpStatusCode.OK)
        {
            response.Dispose();
            Assert.True(++served <= 10, "key-a was served 10 requests in a row");
        }
        Assert.InRange(served, 3, 3 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds));

        using var refused = response;
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal("Too many requests", (string?)(await refused.Content.ReadFromJsonAsync<JsonObject>())!["title"]);

        Assert.Equal(HttpStatusCode.OK, (await GetAsync("key-b")).StatusCode);
        // The bucket refills: after its Retry-After the key is served again.
        await Task.Delay(refused.Headers.RetryAfter!.Delta!.Value + TimeSpan.FromMilliseconds(200));
        Assert.Equal(HttpStatusCode.OK, (await GetAsync("key-a")).StatusCode);
    }

    [Fact]
    public async Task Health_endpoints_and_requests_without_a_key_are_not_limited_here()
    {
        for (var i = 0; i < 6; i++) Assert.Equal(HttpStatusCode.OK, (await GetAsync(null)).StatusCode);
        for (var i = 0; i < 6; i++) Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
    }
}
