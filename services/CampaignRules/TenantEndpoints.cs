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
        var tenants = app.MapGroup("/v1/tenants").WithTags("Tenants").RequireRateLimiting(ApiRateLimits.PerKey);

        tenants.MapPost("", async (CreateTenantRequest request, TenantStore store, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
                return Problems.Invalid("name", "a name of 1 to 200 characters is required");
            if (request.Kind is null || !TenantKinds.All.Contains(request.Kind))
                return Problems.Invalid("kind", "must be one of: brand, isv, app");
            var (tenantId, apiKey) = await store.CreateAsync(request.Name.Trim(), request.Kind, ct);
            return Results.Created($"/v1/tenants/{tenantId}", new CreatedTenant(tenantId, apiKey));
        }).RequireAuthorization(ApiPolicies.Admin);

        // A disabled tenant's keys are refused by every service (each key is announced as revoked, so every key cache
        // forgets it at once) and its campaigns stop serving; enabling restores both. Keys stay as they were meanwhile.
        tenants.MapGet("/{tenantId:guid}", async (Guid tenantId, TenantStore store, CancellationToken ct) =>
            await store.GetForAdminAsync(tenantId, ct) is { } tenant ? Results.Ok(tenant) : Problems.NotFound("Tenant"))
            .RequireAuthorization(ApiPolicies.Admin);
        tenants.MapPost("/{tenantId:guid}/disable", (Guid tenantId, TenantStore store, Outbox outbox, CancellationToken ct) =>
            SetDisabledAsync(tenantId, true, store, outbox, ct)).RequireAuthorization(ApiPolicies.Admin);
        tenants.MapPost("/{tenantId:guid}/enable", (Guid tenantId, TenantStore store, Outbox outbox, CancellationToken ct) =>
            SetDisabledAsync(tenantId, false, store, outbox, ct)).RequireAuthorization(ApiPolicies.Admin);

        // Who a key belongs to: the other services authenticate keys through this.
        var me = tenants.MapGroup("/me").RequireAuthorization(ApiPolicies.AnyTenant);
        me.MapGet("", async (HttpContext http, TenantStore store, CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), ct) is { } tenant ? Results.Ok(tenant) : Problems.NotFound("Tenant"));

        // Key rotation: create a new key, move clients over, then revoke the old one.
        me.MapPost("/keys", async (HttpContext http, TenantStore store, CancellationToken ct) =>
        {
            if (await store.CreateKeyAsync(http.User.TenantId(), ct) is not var (keyId, apiKey))
                return Problems.Conflict("The tenant has the most active keys allowed",
                    $"A tenant may have {store.MaxActiveKeys} active keys; revoke one it no longer uses first.");
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
        var grants = app.MapGroup("/v1/isv-grants").WithTags("ISV grants").RequireRateLimiting(ApiRateLimits.PerKey).RequireAuthorization(ApiPolicies.Brand);
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

    private static async Task<IResult> SetDisabledAsync(Guid tenantId, bool disabled, TenantStore store, Outbox outbox, CancellationToken ct)
    {
        if (await store.GetForAdminAsync(tenantId, ct) is null) return Problems.NotFound("Tenant");
        await using (var transaction = await outbox.BeginAsync(ct))
        {
            var (changed, keyHashes) = await store.SetDisabledAsync(transaction.Transaction, tenantId, disabled, ct);
            if (!changed) return Problems.Conflict(disabled ? "The tenant is disabled already" : "The tenant is not disabled");
            var now = DateTimeOffset.UtcNow;
            await transaction.PublishAsync(new TenantStatusChanged(tenantId, disabled, now), ct);
            // The same path as a revoked key: every service's key cache forgets these keys, so they are asked about
            // again, and campaign-rules answers for a disabled tenant that they are unknown.
            foreach (var keyHash in keyHashes) await transaction.PublishAsync(new ApiKeyRevoked(tenantId, Convert.ToHexString(keyHash), now), ct);
            await transaction.CommitAsync(ct);
        }
        return Results.Ok(await store.GetForAdminAsync(tenantId, ct));
    }
}
