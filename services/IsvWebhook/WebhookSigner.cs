using System.Security.Cryptography;
using System.Text;

namespace ArFleet.IsvWebhook;

/// <summary>Standard Webhooks signing: the secret is "whsec_" + base64 key bytes; the signature is
/// "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).</summary>
public static class WebhookSigner
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, string messageId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
        var signature = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(signature);
    }

    /// <summary>One signature per secret, space-separated as the spec allows: during a rotation receivers that
    /// know either the old or the new secret accept the message.</summary>
    public static string Sign(IEnumerable<string> secrets, string messageId, long timestamp, string body) =>
        string.Join(' ', secrets.Select(s => Sign(s, messageId, timestamp, body)));
}
