using System.Security.Cryptography;
using System.Text;

namespace ArFleet.Webhooks.Receiver;

public class WebhookVerificationException(string message) : Exception(message);

/// <summary>Verifies a delivery per the Standard Webhooks spec: the "webhook-signature" header holds one or more
/// space-separated "v1,&lt;base64&gt;" signatures of "{webhook-id}.{webhook-timestamp}.{body}" (several while a
/// secret is being rotated), and the timestamp must be within the tolerance of now, which defeats replays.</summary>
public sealed class WebhookVerifier
{
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);
    private readonly byte[][] keys;
    private readonly TimeSpan tolerance;
    private readonly TimeProvider clock;

    /// <param name="secrets">The endpoint's secrets ("whsec_…"); pass both old and new while rotating.</param>
    /// <param name="tolerance">How far the timestamp may be from now; <see cref="DefaultTolerance"/> if null.</param>
    /// <param name="clock">The clock to compare timestamps with; the system clock if null.</param>
    public WebhookVerifier(IEnumerable<string> secrets, TimeSpan? tolerance = null, TimeProvider? clock = null)
    {
        keys = secrets.Select(Key).ToArray();
        if (keys.Length == 0) throw new ArgumentException("At least one secret is needed.", nameof(secrets));
        this.tolerance = tolerance ?? DefaultTolerance;
        this.clock = clock ?? TimeProvider.System;
    }

    public WebhookVerifier(string secret, TimeSpan? tolerance = null, TimeProvider? clock = null) : this([secret], tolerance, clock) { }

    /// <summary>Throws <see cref="WebhookVerificationException"/> unless the delivery is authentic and fresh.</summary>
    public void Verify(string? webhookId, string? webhookTimestamp, string? webhookSignature, string body)
    {
        if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookTimestamp) || string.IsNullOrEmpty(webhookSignature))
            throw new WebhookVerificationException("Missing webhook-id, webhook-timestamp or webhook-signature header.");
        if (!long.TryParse(webhookTimestamp, out var seconds))
            throw new WebhookVerificationException("The webhook-timestamp header is not a Unix time in seconds.");
        var sentAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        var now = clock.GetUtcNow();
        if (sentAt < now - tolerance) throw new WebhookVerificationException("The message is too old.");
        if (sentAt > now + tolerance) throw new WebhookVerificationException("The message timestamp is too far in the future.");

        var signed = Encoding.UTF8.GetBytes($"{webhookId}.{webhookTimestamp}.{body}");
        foreach (var key in keys)
        {
            var expected = HMACSHA256.HashData(key, signed);
            foreach (var candidate in webhookSignature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = candidate.Split(',', 2);
                if (parts.Length != 2 || parts[0] != "v1") continue;
                byte[] presented;
                try { presented = Convert.FromBase64String(parts[1]); }
                catch (FormatException) { continue; }
                if (CryptographicOperations.FixedTimeEquals(presented, expected)) return;
            }
        }
        throw new WebhookVerificationException("No signature matches.");
    }

    private static byte[] Key(string secret) =>
        Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
}
