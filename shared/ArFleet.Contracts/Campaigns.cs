using MassTransit;

namespace ArFleet.Contracts;

/// <summary>A campaign was created, changed, paused, resumed or ended: every campaign-rules instance reloads
/// it into its in-memory rule cache.</summary>
[MessageUrn("arfleet:campaign-changed:v1")]
public record CampaignChanged(Guid CampaignId, Guid TenantId, DateTimeOffset OccurredAt);

/// <summary>A brand granted (or withdrew) an ISV's access to its campaigns: read access, and its webhooks.</summary>
[MessageUrn("arfleet:isv-grant-changed:v1")]
public record IsvGrantChanged(Guid TenantId, Guid IsvTenantId, bool Granted, DateTimeOffset OccurredAt);
