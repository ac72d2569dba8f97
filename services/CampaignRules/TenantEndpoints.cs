using ArFleet.ServiceDefaults;

namespace ArFleet.CampaignRules;

public static class TenantEndpoints
{
    public record CreateTenantRequest(string? Name, string? Kind);
    public record CreatedTenant(Guid TenantId, string ApiKey);

    public static void MapTenantEndpoints(this WebApplication app)
    {
        var tenants = app.MapGroup("/v1/tenants").WithTags("Tenants");

        tenants.MapPost("", async (CreateTenantRequest request, TenantStore store, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
                return Problems.Invalid("name", "a name of 1 to 200 characters is required");
            if (request.Kind is null || !TenantKinds.All.Contains(request.Kind))
                return Problems.Invalid("kind", "must be one of: brand, isv, app");
            var (tenantId, apiKey) = await store.CreateAsync(request.Name.Trim(), request.Kind, ct);
            return Results.Created($"/v1/tenants/{tenantId}", new CreatedTenant(tenantId, apiKey));
        }).RequireAuthorization(ApiPolicies.Admin);

        // Who a key belongs to: the other services authenticate keys through this.
        tenants.MapGet("/me", async (HttpContext http, TenantStore store, CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), ct) is { } tenant ? Results.Ok(tenant) : Problems.NotFound("Tenant"))
            .RequireAuthorization(ApiPolicies.AnyTenant);
    }
}
