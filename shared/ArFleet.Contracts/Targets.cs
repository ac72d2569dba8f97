using MassTransit;

namespace ArFleet.Contracts;

/// <summary>A brand uploaded a target image. Targets are rare and small (size-limited at upload),
/// so the bytes travel in the message rather than through a claim check.</summary>
[MessageUrn("arfleet:target-image-submitted:v1")]
public record TargetImageSubmitted(Guid TargetId, Guid TenantId, byte[] Image, DateTimeOffset OccurredAt);

/// <summary>Recognition accepted the target and stored its features; every worker loads them. NearDuplicateOf names
/// one of the same brand's targets that the new one nearly duplicates (scans of either are ambiguous), if any;
/// SharedWith other brands' active targets it nearly duplicates (internal: no brand is ever shown another's target).</summary>
[MessageUrn("arfleet:target-indexed:v1")]
public record TargetIndexed(Guid TargetId, Guid TenantId, int Grade, int Features, DateTimeOffset OccurredAt, Guid? NearDuplicateOf = null,
    Guid[]? SharedWith = null);

/// <summary>Recognition refused the target; Reason is written for the brand.</summary>
[MessageUrn("arfleet:target-rejected:v1")]
public record TargetRejected(Guid TargetId, Guid TenantId, int Grade, string Reason, DateTimeOffset OccurredAt);

/// <summary>The brand deleted the target: every worker drops it from its index and stops matching it at once.</summary>
[MessageUrn("arfleet:target-deleted:v1")]
public record TargetDeleted(Guid TargetId, Guid TenantId, DateTimeOffset OccurredAt);

/// <summary>Recognition has stored the deletion (its features are gone for good): every worker drops the target again,
/// which reaches a worker that started while the TargetDeleted was still on its way to the store.</summary>
[MessageUrn("arfleet:target-features-deleted:v1")]
public record TargetFeaturesDeleted(Guid TargetId, Guid TenantId, DateTimeOffset OccurredAt);

/// <summary>The brand deactivated the target: every worker stops matching it at once but keeps its features.</summary>
[MessageUrn("arfleet:target-deactivated:v1")]
public record TargetDeactivated(Guid TargetId, Guid TenantId, DateTimeOffset OccurredAt);

/// <summary>The brand activated a deactivated target again: every worker matches it again at once.</summary>
[MessageUrn("arfleet:target-activated:v1")]
public record TargetActivated(Guid TargetId, Guid TenantId, DateTimeOffset OccurredAt);
