using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ArFleet.CampaignRules;

public static class TenantEndpoints
{
    public record CreateTenantRequest(string? Name, string? Kind);
    public record CreatedTenant(Guid TenantId, string ApiKey);
    public record CreatedKey(Guid KeyId, string ApiKey);
    public record GrantRequest(Guid? IsvTenantId);
    public record CreatedGrant(Guid IsvTenantId);

    public static void MapTenantEndpoints(this WebApplication app)
    {
        var tenants = app.MapGroup("/v1/tenants").WithTags("Tenants").RequireRateLimiting(ApiRateLimits.PerKey);

        tenants.MapPost("", CreateAsync).WithSummary("Create a tenant (brand, isv or app) and its first API key").RequireAuthorization(ApiPolicies.Admin);
        tenants.MapGet("/{tenantId:guid}", GetAsync).WithSummary("Get a tenant, disabled or not").RequireAuthorization(ApiPolicies.Admin);
        tenants.MapPost("/{tenantId:guid}/disable", DisableAsync).WithSummary("Disable a tenant: its keys are refused everywhere")
            .RequireAuthorization(ApiPolicies.Admin);
        tenants.MapPost("/{tenantId:guid}/enable", EnableAsync).WithSummary("Enable a disabled tenant again").RequireAuthorization(ApiPolicies.Admin);

        var me = tenants.MapGroup("/me").RequireAuthorization(ApiPolicies.AnyTenant);
        me.MapGet("", GetMeAsync).WithSummary("Who the key belongs to");
        me.MapPost("/keys", CreateKeyAsync).WithSummary("Create another API key for the key's tenant (shown once)");
        me.MapGet("/keys", ListKeysAsync).WithSummary("List the tenant's API keys (not the keys themselves)");
        me.MapDelete("/keys/{keyId:guid}", RevokeKeyAsync).WithSummary("Revoke one of the tenant's API keys, not its last active one");

        var grants = app.MapGroup("/v1/isv-grants").WithTags("ISV grants").RequireRateLimiting(ApiRateLimits.PerKey).RequireAuthorization(ApiPolicies.Brand);
        grants.MapPost("", GrantAsync).WithSummary("Let an ISV read the brand's campaigns and receive their webhooks");
        grants.MapGet("", ListGrantsAsync).WithSummary("List the ISVs the brand has granted access");
        grants.MapDelete("/{isvTenantId:guid}", RevokeGrantAsync).WithSummary("Withdraw an ISV's access");
    }

    private static async Task<Results<Created<CreatedTenant>, BadRequestProblem>> CreateAsync(CreateTenantRequest request, TenantStore store,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
            return Problems.Invalid("name", "a name of 1 to 200 characters is required");
        if (request.Kind is null || !TenantKinds.All.Contains(request.Kind))
            return Problems.Invalid("kind", "must be one of: brand, isv, app");
        var (tenantId, apiKey) = await store.CreateAsync(request.Name.Trim(), request.Kind, ct);
        return TypedResults.Created($"/v1/tenants/{tenantId}", new CreatedTenant(tenantId, apiKey));
    }

    private static async Task<Results<Ok<TenantAdminView>, NotFoundProblem>> GetAsync(Guid tenantId, TenantStore store, CancellationToken ct) =>
        await store.GetForAdminAsync(tenantId, ct) is { } tenant ? TypedResults.Ok(tenant) : Problems.NotFound("Tenant");

    // A disabled tenant's keys are refused by every service (each key is announced as revoked, so every key cache
    // forgets it at once) and its campaigns stop serving; enabling restores both. Keys stay as they were meanwhile.
    private static Task<Results<Ok<TenantAdminView>, NotFoundProblem, ConflictProblem>> DisableAsync(Guid tenantId, TenantStore store, Outbox outbox,
        CancellationToken ct) => SetDisabledAsync(tenantId, true, store, outbox, ct);

    private static Task<Results<Ok<TenantAdminView>, NotFoundProblem, ConflictProblem>> EnableAsync(Guid tenantId, TenantStore store, Outbox outbox,
        CancellationToken ct) => SetDisabledAsync(tenantId, false, store, outbox, ct);

    /// <summary>Who a key belongs to: the other services authenticate keys through this.</summary>
    private static async Task<Results<Ok<TenantIdentity>, NotFoundProblem>> GetMeAsync(HttpContext http, TenantStore store, CancellationToken ct) =>
        await store.GetAsync(http.User.TenantId(), ct) is { } tenant ? TypedResults.Ok(tenant) : Problems.NotFound("Tenant");

    /// <summary>Key rotation: create a new key, move clients over, then revoke the old one.</summary>
    private static async Task<Results<Created<CreatedKey>, ConflictProblem>> CreateKeyAsync(HttpContext http, TenantStore store, CancellationToken ct)
    {
        if (await store.CreateKeyAsync(http.User.TenantId(), ct) is not var (keyId, apiKey))
            return Problems.Conflict("The tenant has the most active keys allowed",
                $"A tenant may have {store.MaxActiveKeys} active keys; revoke one it no longer uses first.");
        return TypedResults.Created($"/v1/tenants/me/keys/{keyId}", new CreatedKey(keyId, apiKey));
    }

    private static async Task<Ok<List<ApiKeyView>>> ListKeysAsync(HttpContext http, TenantStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListKeysAsync(http.User.TenantId(), ct));

    private static async Task<Results<NoContent, NotFoundProblem, ConflictProblem>> RevokeKeyAsync(Guid keyId, HttpContext http, TenantStore store,
        Outbox outbox, CancellationToken ct)
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
        return TypedResults.NoContent();
    }

    /// <summary>A brand lets an ISV read its campaigns and receive their webhooks.</summary>
    private static async Task<Results<Created<CreatedGrant>, BadRequestProblem>> GrantAsync(GrantRequest request, HttpContext http, TenantStore store,
        Outbox outbox, CancellationToken ct)
    {
        if (request.IsvTenantId is not { } isvTenantId) return Problems.Invalid("isvTenantId", "is required");
        var brandTenantId = http.User.TenantId();
        await using var transaction = await outbox.BeginAsync(ct);
        if (!await store.GrantAsync(transaction.Transaction, brandTenantId, isvTenantId, ct))
            return Problems.Invalid("isvTenantId", "is not the id of an ISV tenant");
        await transaction.PublishAsync(new IsvGrantChanged(brandTenantId, isvTenantId, true, DateTimeOffset.UtcNow), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Created($"/v1/isv-grants/{isvTenantId}", new CreatedGrant(isvTenantId));
    }

    private static async Task<Ok<List<IsvGrant>>> ListGrantsAsync(HttpContext http, TenantStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListGrantsAsync(http.User.TenantId(), ct));

    private static async Task<Results<NoContent, NotFoundProblem>> RevokeGrantAsync(Guid isvTenantId, HttpContext http, TenantStore store,
        Outbox outbox, CancellationToken ct)
    {
        var brandTenantId = http.User.TenantId();
        await using var transaction = await outbox.BeginAsync(ct);
        if (!await store.RevokeGrantAsync(transaction.Transaction, brandTenantId, isvTenantId, ct)) return Problems.NotFound("Grant");
        await transaction.PublishAsync(new IsvGrantChanged(brandTenantId, isvTenantId, false, DateTimeOffset.UtcNow), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<TenantAdminView>, NotFoundProblem, ConflictProblem>> SetDisabledAsync(Guid tenantId, bool disabled,
        TenantStore store, Outbox outbox, CancellationToken ct)
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
        return TypedResults.Ok(await store.GetForAdminAsync(tenantId, ct));
    }
}
