namespace ArFleet.IsvWebhook;

public sealed class WebhookOptions
{
    /// <summary>Waits before each retry after the first, immediate attempt (Svix-like). Tests compress it.</summary>
    public TimeSpan[] RetrySchedule { get; set; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    public int MaxConcurrentDeliveries { get; set; } = 32;

    /// <summary>How long a claim holds a delivery: an instance that crashed with it claimed, sent or not, lets it go
    /// after this. It must outlast a send and its record (see <see cref="WebhookOptionsValidation"/>).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Outcomes of sends are written together (DeliveryBookkeeping) once 64 are waiting or after this.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Lets endpoints on loopback over plain http; honoured only in the Development environment.</summary>
    public bool AllowLoopback { get; set; }

    /// <summary>After a rotation the previous secret keeps signing, beside the new one, this long.</summary>
    public TimeSpan PreviousSecretLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>An endpoint whose every attempt has failed for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>Finished deliveries (payload and attempt log) are deleted this long after they were created.</summary>
    public TimeSpan PayloadRetention { get; set; } = TimeSpan.FromDays(30);
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromHours(1);

    public EndpointIsolationOptions Isolation { get; set; } = new();
}

/// <summary>Per endpoint, so that a dead, slow or flooded endpoint holds only its own share of the dispatcher.</summary>
public sealed class EndpointIsolationOptions
{
    /// <summary>Requests in flight to one endpoint at most; the rest of the dispatcher's slots stay free for others.</summary>
    public int MaxConcurrency { get; set; } = 8;
    /// <summary>Requests per second to one endpoint at most (token bucket).</summary>
    public int RatePerSecond { get; set; } = 100;
    /// <summary>The circuit opens when at least this share of at least MinimumThroughput attempts in SamplingDuration failed.</summary>
    public double FailureRatio { get; set; } = 0.5;
    public int MinimumThroughput { get; set; } = 5;
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How long an open circuit sends nothing before one trial request.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

public static class WebhookEventTypes
{
    public const string ScanResolved = "scan.resolved";
    public const string VoucherIssued = "voucher.issued";
    /// <summary>Operational: sent to a tenant's other endpoints when one is disabled, whatever their filter.</summary>
    public const string EndpointDisabled = "endpoint.disabled";
    /// <summary>Sent by POST /v1/webhook-endpoints/{id}/test to that endpoint only, whatever its filter.</summary>
    public const string Test = "webhook.test";
    /// <summary>The types an endpoint can subscribe to.</summary>
    public static readonly string[] All = [ScanResolved, VoucherIssued];
}
