namespace ArFleet.Ingest;

/// <summary>Scans:Delivery settings.</summary>
public sealed class ScanDeliveryOptions
{
    /// <summary>How long a request waits for the broker to confirm ScanSubmitted before leaving it to the relay.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>A scan the broker has not confirmed for this long is sent again by the relay.</summary>
    public TimeSpan RelayAfter { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan RelayInterval { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>A scan still processing this long after it was accepted resolves as failed (longer than the minutes of
    /// transient retries a message may spend in a consumer).</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(10);
}
