namespace ArFleet.ServiceDefaults;

/// <summary>Wakes this instance's relay right after a commit that added messages, so the normal path waits for no
/// poll. Wakes that come while the relay is busy collapse into one, which it sees as soon as it is done.</summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim wake = new(0, 1);

    public void Wake()
    {
        try { wake.Release(); }
        catch (SemaphoreFullException) { } // a wake is already pending
    }

    /// <summary>True when woken, false when <paramref name="timeout"/> passed first.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => wake.WaitAsync(timeout, cancellationToken);
}
