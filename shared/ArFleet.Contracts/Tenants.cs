using MassTransit;

namespace ArFleet.Contracts;

/// <summary>A tenant revoked one of its API keys: every service that caches key lookups forgets it at once.
/// KeyHash is the SHA-256 of the key in hexadecimal (the key itself never travels).</summary>
[MessageUrn("arfleet:api-key-revoked:v1")]
public record ApiKeyRevoked(Guid TenantId, string KeyHash, DateTimeOffset OccurredAt);

/// <summary>An admin disabled or enabled a tenant. campaign-rules reloads its rule cache (a disabled brand's campaigns
/// stop serving); the tenant's keys are announced one by one as ApiKeyRevoked, so every key cache forgets them.</summary>
[MessageUrn("arfleet:tenant-status-changed:v1")]
public record TenantStatusChanged(Guid TenantId, bool Disabled, DateTimeOffset OccurredAt);
