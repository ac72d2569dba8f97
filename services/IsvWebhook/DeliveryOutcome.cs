namespace ArFleet.IsvWebhook;

/// <summary>What a claimed delivery came to, for <see cref="DeliveryBookkeeping"/> to write.</summary>
public abstract record DeliveryOutcome(Guid DeliveryId, Guid EndpointId);

/// <summary>An attempt, started at <paramref name="At"/>; <paramref name="NextAttemptAt"/> null with a failure means no more retries.</summary>
public sealed record DeliveryAttempt(
    Guid DeliveryId, Guid EndpointId, DateTimeOffset At, int? StatusCode, string? Error, int DurationMs, bool Succeeded, DateTimeOffset? NextAttemptAt)
    : DeliveryOutcome(DeliveryId, EndpointId);

/// <summary>The claim given back without an attempt, due again at <paramref name="DueAt"/> (null: when it was due).</summary>
public sealed record DeliveryRelease(Guid DeliveryId, Guid EndpointId, DateTimeOffset? DueAt) : DeliveryOutcome(DeliveryId, EndpointId);
