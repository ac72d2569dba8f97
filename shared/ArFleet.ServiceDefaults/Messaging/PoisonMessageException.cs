namespace ArFleet.ServiceDefaults;

/// <summary>A message that can never succeed (bad data, not a passing fault): it skips the retries and
/// goes straight to the error queue, where the fault headers carry this exception's message as the reason.</summary>
public class PoisonMessageException(string reason) : Exception(reason);
