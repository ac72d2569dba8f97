using MassTransit;

namespace ArFleet.Contracts;

/// <summary>A brand uploaded a target image. Targets are rare and small (size-limited at upload),
/// so the bytes travel in the message rather than through a claim check.</summary>
[MessageUrn("arfleet:target-image-submitted:v1")]
public record TargetImageSubmitted(Guid TargetId, Guid TenantId, byte[] Image, DateTimeOffset OccurredAt);

/// <summary>Recognition accepted the target and stored its features; every worker loads them.</summary>
[MessageUrn("arfleet:target-indexed:v1")]
public record TargetIndexed(Guid TargetId, Guid TenantId, int Grade, int Features, DateTimeOffset OccurredAt);

/// <summary>Recognition refused the target; Reason is written for the brand.</summary>
[MessageUrn("arfleet:target-rejected:v1")]
public record TargetRejected(Guid TargetId, Guid TenantId, int Grade, string Reason, DateTimeOffset OccurredAt);

/// <summary>The brand deleted the target: every worker drops it from its index and stops matching it at once.</summary>
[MessageUrn("arfleet:target-deleted:v1")]
public record TargetDeleted(Guid TargetId, Guid TenantId, DateTimeOffset OccurredAt);
