using System.Net;
using System.Text.Json.Nodes;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

[Collection(FleetCollection.Name)]
public sealed class ApiDocumentationTests(FleetFixture fixture)
{
    [Theory]
    [InlineData("ingest", "/v1/scans")]
    [InlineData("campaign-rules", "/v1/campaigns")]
    [InlineData("voucher-issuance", "/v1/vouchers/{code}")]
    [InlineData("isv-webhook", "/v1/webhook-endpoints")]
    public async Task Every_http_service_publishes_its_openapi_document_and_reference_page(string service, string path)
    {
        var baseAddress = fixture.Fleet.Services[service].BaseAddress;
        using var document = await fixture.Client.SendAsync(HttpMethod.Get, baseAddress, "/openapi/v1.json", null);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        var openApi = JsonNode.Parse(await document.Content.ReadAsStringAsync())!;
        Assert.StartsWith("3.", (string?)openApi["openapi"]);
        Assert.NotNull(openApi["paths"]![path]);

        using var page = await fixture.Client.SendAsync(HttpMethod.Get, baseAddress, "/scalar/v1", null);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }
}
