using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ArFleet.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ArFleet.ServiceDefaults.Tests;

/// <summary>The typed problems of <see cref="Problems"/> and the OpenAPI set-up, on a real Kestrel wired as the services
/// are (AddServiceDefaults, API keys, MapDefaultEndpoints): a typed problem answers byte for byte what Results.Problem
/// answers, and the document declares it, the API key scheme and the answers the pipeline adds.</summary>
public sealed class TypedProblemsTests : IAsyncLifetime
{
    private const string AdminKey = "typed-problems-admin-key";
    private WebApplication app = null!;
    private readonly HttpClient http = new();

    public record Thing(string Name, string? Note, int? Count);

    /// <summary>Knows no tenant keys: only the admin key (from configuration) authenticates.</summary>
    private sealed class NoTenantKeys : ITenantKeyResolver
    {
        public Task<TenantIdentity?> ResolveAsync(string apiKey, CancellationToken cancellationToken) => Task.FromResult<TenantIdentity?>(null);
    }

    public async Task InitializeAsync()
    {
        var port = Fleet.FreePort();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ARFLEET_ADMIN_KEY"] = AdminKey });
        builder.AddServiceDefaults();
        builder.AddApiKeyAuthentication<NoTenantKeys>();
        app = builder.Build();
        app.MapDefaultEndpoints();
        var things = app.MapGroup("/v1/things").RequireRateLimiting(ApiRateLimits.PerKey).RequireAuthorization(ApiPolicies.Admin);
        things.MapGet("/typed/{kind}", Typed).WithSummary("A typed problem of each kind");
        things.MapGet("/plain/{kind}", Plain).WithSummary("The same problem from Results.Problem");
        things.MapGet("", () => TypedResults.Ok(new Thing("thing", null, null))).WithSummary("A thing");
        app.MapGet("/open", () => TypedResults.Ok(new Thing("open", null, null))).WithSummary("No key needed");
        await app.StartAsync();
        http.BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    private static Results<Ok<Thing>, BadRequestProblem, NotFoundProblem, ConflictProblem, UnprocessableProblem, TooManyRequestsProblem> Typed(
        string kind) => kind switch
        {
            "badRequest" => Problems.BadRequest("Bad", "Quite bad."),
            "invalid" => Problems.Invalid("field", "must be something"),
            "notFound" => Problems.NotFound("Thing"),
            "conflict" => Problems.Conflict("In the way", "It is elsewhere."),
            "unprocessable" => Problems.Unprocessable("Reused", "Sent before."),
            "tooManyRequests" => Problems.TooManyRequests("Too many", "Slow down."),
            _ => TypedResults.Ok(new Thing(kind, null, null)),
        };

    /// <summary>What the endpoints answered before their results were typed.</summary>
    private static IResult Plain(string kind) => kind switch
    {
        "badRequest" => Results.Problem(title: "Bad", detail: "Quite bad.", statusCode: StatusCodes.Status400BadRequest),
        "invalid" => Results.ValidationProblem(new Dictionary<string, string[]> { ["field"] = ["must be something"] },
            title: "Invalid 'field': must be something"),
        "notFound" => Results.Problem(title: "Thing not found", statusCode: StatusCodes.Status404NotFound),
        "conflict" => Results.Problem(title: "In the way", detail: "It is elsewhere.", statusCode: StatusCodes.Status409Conflict),
        "unprocessable" => Results.Problem(title: "Reused", detail: "Sent before.", statusCode: StatusCodes.Status422UnprocessableEntity),
        "tooManyRequests" => Results.Problem(title: "Too many", detail: "Slow down.", statusCode: StatusCodes.Status429TooManyRequests),
        _ => Results.Ok(new Thing(kind, null, null)),
    };

    private async Task<HttpResponseMessage> GetAsync(string path, string? key = AdminKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await http.SendAsync(request);
    }

    [Theory]
    [InlineData("badRequest", 400)]
    [InlineData("invalid", 400)]
    [InlineData("notFound", 404)]
    [InlineData("conflict", 409)]
    [InlineData("unprocessable", 422)]
    [InlineData("tooManyRequests", 429)]
    [InlineData("none", 200)]
    public async Task A_typed_problem_answers_exactly_what_Results_Problem_answers(string kind, int status)
    {
        using var typed = await GetAsync($"/v1/things/typed/{kind}");
        using var plain = await GetAsync($"/v1/things/plain/{kind}");
        Assert.Equal(status, (int)typed.StatusCode);
        Assert.Equal(plain.StatusCode, typed.StatusCode);
        Assert.Equal(plain.Content.Headers.ContentType?.ToString(), typed.Content.Headers.ContentType?.ToString());
        if (status != 200) Assert.Equal("application/problem+json", typed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(WithoutTraceId(await plain.Content.ReadAsStringAsync()), WithoutTraceId(await typed.Content.ReadAsStringAsync()));
    }

    private static string WithoutTraceId(string body) => Regex.Replace(body, @"""traceId"":""[^""]*""", @"""traceId"":""""");

    [Fact]
    public async Task The_document_declares_the_typed_problems_the_api_key_scheme_and_the_answers_of_the_pipeline()
    {
        using var response = await GetAsync("/openapi/v1.json", key: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var openApi = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        var scheme = openApi["components"]!["securitySchemes"]!["ApiKey"]!;
        Assert.Equal("http", (string?)scheme["type"]);
        Assert.Equal("bearer", (string?)scheme["scheme"]);

        var typed = openApi["paths"]!["/v1/things/typed/{kind}"]!["get"]!;
        Assert.Equal("#/components/schemas/Thing", Schema(typed, "200", "application/json"));
        Assert.Equal("#/components/schemas/HttpValidationProblemDetails", Schema(typed, "400", "application/problem+json"));
        foreach (var status in new[] { "404", "409", "422", "429", "401", "403", "503" })
            Assert.Equal("#/components/schemas/ProblemDetails", Schema(typed, status, "application/problem+json"));
        Assert.NotNull(typed["security"]![0]!["ApiKey"]);

        // From the pipeline alone: the key (401, 403), the rate limit (429) and a dependency that is down (503).
        var things = openApi["paths"]!["/v1/things"]!["get"]!;
        Assert.Equal(["200", "401", "403", "429", "503"], things["responses"]!.AsObject().Select(r => r.Key).Order().ToArray());
        var open = openApi["paths"]!["/open"]!["get"]!;
        Assert.Equal(["200", "503"], open["responses"]!.AsObject().Select(r => r.Key).Order().ToArray());
        Assert.Null(open["security"]);

        // Null fields are left out of the JSON, so only the non-nullable one is required.
        Assert.Equal(["name"], openApi["components"]!["schemas"]!["Thing"]!["required"]!.AsArray().Select(n => (string)n!).ToArray());
    }

    private static string? Schema(JsonNode operation, string status, string contentType) =>
        (string?)operation["responses"]![status]?["content"]?[contentType]?["schema"]?["$ref"];

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
    }
}
