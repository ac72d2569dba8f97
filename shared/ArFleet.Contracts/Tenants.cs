using MassTransit;

namespace ArFleet.Contracts;

/// <summary>A tenant revoked one of its API keys: every service that caches key lookups forgets it at once.
/// KeyHash is the SHA-256 of the key in hexadecimal (the key itself never travels).</summary>
[MessageUrn("arfleet:api-key-revoked:v1")]
public record ApiKeyRevoked(Guid TenantId, string KeyHash, DateTimeOffset OccurredAt);
