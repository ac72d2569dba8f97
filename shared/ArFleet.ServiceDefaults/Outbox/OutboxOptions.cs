namespace ArFleet.ServiceDefaults;

/// <summary>The "Outbox" configuration section.</summary>
public sealed class OutboxOptions
{
    /// <summary>How often the relay looks without being woken: for rows another instance committed while its
    /// own relay was down, and rows left by a crash.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public int BatchSize { get; set; } = 100;

    /// <summary>How long one publish may wait for RabbitMQ's confirm before the batch counts as failed.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait after a failure; it doubles on each failure in a row, up to MaxRetryDelay.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The health check reports Degraded once the oldest pending row is older than this.</summary>
    public TimeSpan DegradedAfter { get; set; } = TimeSpan.FromSeconds(30);
}
