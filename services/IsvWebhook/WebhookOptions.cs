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

    /// <summary>Lets endpoints on loopback over plain http; honoured only in the Development environment.</summary>
    public bool AllowLoopback { get; set; }
}

public static class WebhookEventTypes
{
    public const string ScanResolved = "scan.resolved";
    public const string VoucherIssued = "voucher.issued";
    public static readonly string[] All = [ScanResolved, VoucherIssued];
}
