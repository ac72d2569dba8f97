using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ArFleet.ServiceDefaults;

public static class TenantKinds
{
    public const string Brand = "brand";
    public const string Isv = "isv";
    public const string App = "app";
    public const string Admin = "admin";
    public static readonly string[] All = [Brand, Isv, App];
}

/// <summary>Authorization policy names; each admits the tenant kinds it is named after.</summary>
public static class ApiPolicies
{
    public const string Admin = "admin";
    public const string Brand = "brand";
    public const string App = "app";
    public const string BrandOrIsv = "brandOrIsv";
    public const string AnyTenant = "anyTenant";
}

public record TenantIdentity(Guid TenantId, string Name, string Kind);

/// <summary>Turns a presented API key into the tenant it belongs to, or null for an unknown or revoked key.</summary>
public interface ITenantKeyResolver
{
    Task<TenantIdentity?> ResolveAsync(string apiKey, CancellationToken cancellationToken);
}

public static class ApiKeyAuthentication
{
    public const string Scheme = "ApiKey";
    private const string TenantIdClaim = "arfleet:tenant";
    private const string KindClaim = "arfleet:kind";

    /// <summary>Bearer API keys: the admin key from ARFLEET_ADMIN_KEY, tenant keys through <typeparamref name="TResolver"/>.</summary>
    public static IHostApplicationBuilder AddApiKeyAuthentication<TResolver>(this IHostApplicationBuilder builder)
        where TResolver : class, ITenantKeyResolver
    {
        builder.Services.TryAddSingleton<TResolver>();
        builder.Services.AddSingleton<ITenantKeyResolver>(sp => sp.GetRequiredService<TResolver>());
        builder.Services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(Scheme, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicies.Admin, p => p.RequireClaim(KindClaim, TenantKinds.Admin))
            .AddPolicy(ApiPolicies.Brand, p => p.RequireClaim(KindClaim, TenantKinds.Brand))
            .AddPolicy(ApiPolicies.App, p => p.RequireClaim(KindClaim, TenantKinds.App))
            .AddPolicy(ApiPolicies.BrandOrIsv, p => p.RequireClaim(KindClaim, TenantKinds.Brand, TenantKinds.Isv))
            .AddPolicy(ApiPolicies.AnyTenant, p => p.RequireClaim(KindClaim, TenantKinds.All));
        return builder;
    }

    /// <summary>For services other than campaign-rules, which owns the keys: ask it who a key belongs to, at
    /// Services:campaigns, or through the Dapr sidecar in Dapr mode (DaprOptions).</summary>
    public static IHostApplicationBuilder AddApiKeyAuthenticationFromCampaignRules(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMemoryCache();
        var dapr = DaprOptions.From(builder.Configuration);
        var client = builder.Services.AddHttpClient<CampaignRulesKeyClient>();
        if (dapr.Enabled)
            DaprMode.UseDaprInvocation(client, dapr, dapr.SidecarAddress(builder.Configuration));
        else
        {
            var baseAddress = builder.Configuration["Services:campaigns"]
                ?? throw new InvalidOperationException("Services:campaigns (the campaign-rules URL) is not configured.");
            client.ConfigureHttpClient(c => c.BaseAddress = new Uri(baseAddress));
        }
        return builder.AddApiKeyAuthentication<CampaignRulesKeyResolver>();
    }

    public static Guid TenantId(this ClaimsPrincipal user) => Guid.Parse(user.FindFirstValue(TenantIdClaim)!);

    /// <summary>Keys are high-entropy random strings, so a fast hash is enough to store them safely.</summary>
    public static byte[] HashKey(string apiKey) => SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    internal static ClaimsPrincipal Principal(Guid tenantId, string kind) =>
        new(new ClaimsIdentity([new Claim(TenantIdClaim, tenantId.ToString()), new Claim(KindClaim, kind)], Scheme));
}

public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ITenantKeyResolver resolver,
    IConfiguration configuration,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 200) return AuthenticateResult.Fail("Malformed API key");

        var adminKey = configuration["ARFLEET_ADMIN_KEY"];
        if (!string.IsNullOrEmpty(adminKey) && CryptographicOperations.FixedTimeEquals(
                ApiKeyAuthentication.HashKey(key), ApiKeyAuthentication.HashKey(adminKey)))
            return Success(ApiKeyAuthentication.Principal(Guid.Empty, TenantKinds.Admin));

        var tenant = await resolver.ResolveAsync(key, Context.RequestAborted);
        return tenant is null
            ? AuthenticateResult.Fail("Unknown API key")
            : Success(ApiKeyAuthentication.Principal(tenant.TenantId, tenant.Kind));
    }

    private AuthenticateResult Success(ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "Missing or invalid API key",
            "Send the key as 'Authorization: Bearer <key>'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "This kind of key may not do this",
            "The operation needs a key of another tenant kind (admin, brand, isv or app).");

    private async Task WriteProblem(int status, string title, string detail)
    {
        Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) Response.Headers.WWWAuthenticate = "Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}

/// <summary>Asks campaign-rules' GET /v1/tenants/me who a key belongs to.</summary>
public sealed class CampaignRulesKeyClient(HttpClient http)
{
    public const string WhoIsPath = "/v1/tenants/me";

    public async Task<TenantIdentity?> WhoIsAsync(string apiKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, WhoIsPath);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<TenantIdentity>(ServiceDefaultsExtensions.ApiJson, cancellationToken);
    }
}

/// <summary>Caches answers briefly so the hot path (scan intake) does not call campaign-rules per request. A revoked
/// key is evicted at once by ApiKeyRevoked (ApiKeyRevokedConsumer); should that event be late, the key still stops
/// working here after <see cref="KnownKeyLifetime"/>.</summary>
public sealed class CampaignRulesKeyResolver(IServiceProvider services, IMemoryCache cache) : ITenantKeyResolver
{
    private static readonly TimeSpan KnownKeyLifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan UnknownKeyLifetime = TimeSpan.FromSeconds(5);

    public static string CacheKey(string keyHash) => "tenant-key:" + keyHash;

    public void Forget(string keyHash) => cache.Remove(CacheKey(keyHash));

    public async Task<TenantIdentity?> ResolveAsync(string apiKey, CancellationToken cancellationToken)
    {
        var cacheKey = CacheKey(Convert.ToHexString(ApiKeyAuthentication.HashKey(apiKey)));
        if (cache.TryGetValue(cacheKey, out TenantIdentity? known)) return known;
        var tenant = await services.GetRequiredService<CampaignRulesKeyClient>().WhoIsAsync(apiKey, cancellationToken);
        cache.Set(cacheKey, tenant, tenant is null ? UnknownKeyLifetime : KnownKeyLifetime);
        return tenant;
    }
}
