using ArFleet.Contracts;
using ArFleet.ServiceDefaults;

namespace ArFleet.CampaignRules;

public static class TenantEndpoints
{
    public record CreateTenantRequest(string? Name, string? Kind);
    public record CreatedTenant(Guid TenantId, string ApiKey);
    public record CreatedKey(Guid KeyId, string ApiKey);
    public record GrantRequest(Guid? IsvTenantId);

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
        var me = tenants.MapGroup("/me").RequireAuthorization(ApiPolicies.AnyTenant);
        me.MapGet("", async (HttpContext http, TenantStore store, CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), ct) is { } tenant ? Results.Ok(tenant) : Problems.NotFound("Tenant"));

        // Key rotation: create a new key, move clients over, then revoke the old one.
        me.MapPost("/keys", async (HttpContext http, TenantStore store, CancellationToken ct) =>
        {
            var (keyId, apiKey) = await store.CreateKeyAsync(http.User.TenantId(), ct);
            return Results.Created($"/v1/tenants/me/keys/{keyId}", new CreatedKey(keyId, apiKey));
        });
        me.MapGet("/keys", async (HttpContext http, TenantStore store, CancellationToken ct) =>
            Results.Ok(await store.ListKeysAsync(http.User.TenantId(), ct)));
        me.MapDelete("/keys/{keyId:guid}", async (Guid keyId, HttpContext http, TenantStore store, Outbox outbox, CancellationToken ct) =>
        {
            var tenantId = http.User.TenantId();
            await using var transaction = await outbox.BeginAsync(ct);
            var (result, keyHash) = await store.RevokeKeyAsync(transaction.Transaction, tenantId, keyId, ct);
            if (result == TenantStore.RevokeResult.LastKey)
                return Problems.Conflict("This is the tenant's last active key", "Create a new key before revoking this one.");
            if (result == TenantStore.RevokeResult.NotFound) return Problems.NotFound("Key");
            // The services that cache key lookups forget this one as soon as the event reaches them.
            await transaction.PublishAsync(new ApiKeyRevoked(tenantId, Convert.ToHexString(keyHash!), DateTimeOffset.UtcNow), ct);
            await transaction.CommitAsync(ct);
            return Results.NoContent();
        });

        // A brand lets an ISV read its campaigns and receive their webhooks.
        var grants = app.MapGroup("/v1/isv-grants").WithTags("ISV grants").RequireAuthorization(ApiPolicies.Brand);
        grants.MapPost("", async (GrantRequest request, HttpContext http, TenantStore store, Outbox outbox, CancellationToken ct) =>
        {
            if (request.IsvTenantId is not { } isvTenantId) return Problems.Invalid("isvTenantId", "is required");
            var brandTenantId = http.User.TenantId();
            await using var transaction = await outbox.BeginAsync(ct);
            if (!await store.GrantAsync(transaction.Transaction, brandTenantId, isvTenantId, ct))
                return Problems.Invalid("isvTenantId", "is not the id of an ISV tenant");
            await transaction.PublishAsync(new IsvGrantChanged(brandTenantId, isvTenantId, true, DateTimeOffset.UtcNow), ct);
            await transaction.CommitAsync(ct);
            return Results.Created($"/v1/isv-grants/{isvTenantId}", new { isvTenantId });
        });
        grants.MapGet("", async (HttpContext http, TenantStore store, CancellationToken ct) =>
            Results.Ok(await store.ListGrantsAsync(http.User.TenantId(), ct)));
        grants.MapDelete("/{isvTenantId:guid}", async (Guid isvTenantId, HttpContext http, TenantStore store, Outbox outbox, CancellationToken ct) =>
        {
            var brandTenantId = http.User.TenantId();
            await using var transaction = await outbox.BeginAsync(ct);
            if (!await store.RevokeGrantAsync(transaction.Transaction, brandTenantId, isvTenantId, ct)) return Problems.NotFound("Grant");
            await transaction.PublishAsync(new IsvGrantChanged(brandTenantId, isvTenantId, false, DateTimeOffset.UtcNow), ct);
            await transaction.CommitAsync(ct);
            return Results.NoContent();
        });
    }
}
