using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;

namespace ArFleet.IsvWebhook;

/// <summary>Signing secrets are stored encrypted (ASP.NET Core Data Protection, keys in PostgresXmlRepository): a copy of
/// the endpoints table alone signs nothing. Secrets stored before encryption are still read as they are.</summary>
public sealed class EndpointSecrets(IDataProtectionProvider provider)
{
    /// <summary>Every claim carries its endpoint's stored secrets: each stored form is decrypted once, not once per delivery.</summary>
    private const int MaxDecrypted = 10_000;
    private readonly ConcurrentDictionary<string, string> decrypted = new(StringComparer.Ordinal);
    private readonly IDataProtector protector = provider.CreateProtector("ArFleet.IsvWebhook.EndpointSecret.v1");

    public string Protect(string secret) => protector.Protect(secret);

    public string Unprotect(string stored)
    {
        if (stored.StartsWith(WebhookSigner.SecretPrefix, StringComparison.Ordinal)) return stored;
        if (decrypted.TryGetValue(stored, out var secret)) return secret;
        if (decrypted.Count >= MaxDecrypted) decrypted.Clear(); // rotations leave old forms behind
        return decrypted[stored] = protector.Unprotect(stored);
    }
}
