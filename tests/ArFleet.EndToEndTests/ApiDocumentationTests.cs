using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

[Collection(FleetCollection.Name)]
public sealed partial class ApiDocumentationTests(FleetFixture fixture)
{
    /// <summary>The services with a public API (docs/api.md); the others serve a document with no routes.</summary>
    private static readonly string[] ApiServices = ["ingest", "campaign-rules", "voucher-issuance", "isv-webhook"];

    private static readonly string[] ProblemSchemas = ["#/components/schemas/ProblemDetails", "#/components/schemas/HttpValidationProblemDetails"];

    [Theory]
    [InlineData("ingest", "/v1/scans")]
    [InlineData("campaign-rules", "/v1/campaigns")]
    [InlineData("voucher-issuance", "/v1/vouchers/{code}")]
    [InlineData("isv-webhook", "/v1/webhook-endpoints")]
    public async Task Every_http_service_publishes_its_openapi_document_and_reference_page(string service, string path)
    {
        var baseAddress = fixture.Fleet.Services[service].BaseAddress;
        var openApi = await DocumentAsync(service);
        Assert.StartsWith("3.", (string?)openApi["openapi"]);
        Assert.NotNull(openApi["paths"]![path]);

        using var page = await fixture.Client.SendAsync(HttpMethod.Get, baseAddress, "/scalar/v1", null);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Every route of every service: a summary; every 2xx with a body has a JSON schema that the document
    /// defines; every error is problem details; a route that needs a key names the API key scheme (a bearer token) and
    /// its 401 and 403.</summary>
    [Fact]
    public async Task Every_route_declares_its_answers_with_schemas_and_the_api_key_scheme()
    {
        var failures = new List<string>();
        foreach (var service in fixture.Fleet.Services.Keys)
        {
            var openApi = await DocumentAsync(service);
            var operations = Operations(openApi).ToList();
            if (ApiServices.Contains(service))
            {
                Assert.NotEmpty(operations);
                var scheme = openApi["components"]?["securitySchemes"]?["ApiKey"];
                Assert.True(scheme is not null, $"{service} declares no ApiKey security scheme");
                Assert.Equal("http", (string?)scheme["type"]);
                Assert.Equal("bearer", (string?)scheme["scheme"]);
            }
            foreach (var (method, path, operation) in operations)
                failures.AddRange(RouteProblems(openApi, operation).Select(problem => $"{service} {method} {path}: {problem}"));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>docs/api.md is the contract: each of its /v1 routes is served with the answers it lists, and each route
    /// served is in it.</summary>
    [Fact]
    public async Task The_openapi_documents_cover_every_route_of_docs_api_md_and_no_other()
    {
        var served = new Dictionary<string, JsonNode>();
        foreach (var service in ApiServices)
            foreach (var (method, path, operation) in Operations(await DocumentAsync(service)))
                served[Route(method, path)] = operation;
        var documented = DocumentedRoutes(File.ReadAllText(Path.Combine(ServiceProcess.RepositoryRoot(), "docs", "api.md")));
        Assert.True(documented.Count > 30, $"only {documented.Count} routes read from docs/api.md");

        var failures = new List<string>();
        foreach (var (route, statuses) in documented)
        {
            if (!served.TryGetValue(route, out var operation))
            {
                failures.Add($"{route} is in docs/api.md but in no OpenAPI document");
                continue;
            }
            var declared = operation["responses"]!.AsObject().Select(r => r.Key).ToHashSet();
            failures.AddRange(statuses.Where(s => !declared.Contains(s)).Select(s => $"{route}: docs/api.md lists {s}, the document does not"));
        }
        failures.AddRange(served.Keys.Where(route => !documented.ContainsKey(route)).Select(route => $"{route} is served but not in docs/api.md"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private async Task<JsonNode> DocumentAsync(string service)
    {
        using var response = await fixture.Client.SendAsync(HttpMethod.Get, fixture.Fleet.Services[service].BaseAddress, "/openapi/v1.json", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private static IEnumerable<(string Method, string Path, JsonNode Operation)> Operations(JsonNode openApi) =>
        from path in openApi["paths"]!.AsObject()
        from operation in path.Value!.AsObject()
        select (operation.Key.ToUpperInvariant(), path.Key, operation.Value!);

    private static IEnumerable<string> RouteProblems(JsonNode openApi, JsonNode operation)
    {
        if (string.IsNullOrWhiteSpace((string?)operation["summary"])) yield return "no summary";
        var responses = operation["responses"]?.AsObject() ?? [];
        if (!responses.Any(r => r.Key.StartsWith('2'))) yield return "no 2xx answer";
        foreach (var (status, response) in responses)
        {
            var content = response?["content"]?.AsObject();
            if (status.StartsWith('2'))
            {
                if (status == "204")
                {
                    if (content is { Count: > 0 }) yield return "204 declares a body";
                    continue;
                }
                if (content?["application/json"]?["schema"] is not { } schema) yield return $"{status} has no application/json schema";
                else if (UndefinedReference(openApi, schema) is { } missing) yield return $"{status} refers to {missing}, which is not defined";
            }
            else if ((string?)content?["application/problem+json"]?["schema"]?["$ref"] is not { } problem || !ProblemSchemas.Contains(problem))
                yield return $"{status} is not problem details";
            else if (UndefinedReference(openApi, content["application/problem+json"]!["schema"]!) is { } missing)
                yield return $"{status} refers to {missing}, which is not defined";
        }
        if (operation["security"] is JsonArray { Count: > 0 } security)
        {
            if (!security.Any(requirement => requirement?["ApiKey"] is not null)) yield return "needs a key but not the ApiKey scheme";
            if (!responses.ContainsKey("401") || !responses.ContainsKey("403")) yield return "needs a key but declares no 401 and 403";
        }
        else if (responses.ContainsKey("401"))
        {
            yield return "declares 401 without a security requirement";
        }
    }

    /// <summary>A schema is either inline (with a type) or a reference into components.schemas that must exist.</summary>
    private static string? UndefinedReference(JsonNode openApi, JsonNode schema)
    {
        var reference = (string?)schema["$ref"] ?? (string?)schema["items"]?["$ref"];
        if (reference is null) return schema["type"] is null ? "an empty schema" : null;
        var name = reference["#/components/schemas/".Length..];
        return openApi["components"]?["schemas"]?[name] is null ? reference : null;
    }

    private static string Route(string method, string path) => $"{method} {PathParameter().Replace(path.Split('?')[0], "{}")}";

    /// <summary>The rows of docs/api.md's route tables: "| `METHOD /v1/...` ... | auth | 200 ...; 404 ... |".</summary>
    private static Dictionary<string, string[]> DocumentedRoutes(string markdown)
    {
        var routes = new Dictionary<string, string[]>();
        foreach (var line in markdown.Split('\n'))
        {
            var cells = TableCell().Split(line.Trim());
            if (cells.Length < 5 || RouteCell().Match(cells[1]) is not { Success: true } route || !route.Groups[2].Value.StartsWith("/v1/")) continue;
            var statuses = cells[3].Split(';').Select(answer => Status().Match(answer)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToArray();
            routes[Route(route.Groups[1].Value, route.Groups[2].Value)] = statuses;
        }
        return routes;
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex PathParameter();

    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex TableCell();

    [GeneratedRegex(@"^\s*`(GET|POST|PUT|PATCH|DELETE) ([^`\s]+)`")]
    private static partial Regex RouteCell();

    [GeneratedRegex(@"^\s*([1-5]\d\d)\b")]
    private static partial Regex Status();
}
