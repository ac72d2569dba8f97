using Microsoft.AspNetCore.DataProtection;

namespace ArFleet.IsvWebhook;

/// <summary>Signing secrets are stored encrypted (ASP.NET Core Data Protection, keys in PostgresXmlRepository): a copy of
/// the endpoints table alone signs nothing. Secrets stored before encryption are still read as they are.</summary>
public sealed class EndpointSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector protector = provider.CreateProtector("ArFleet.IsvWebhook.EndpointSecret.v1");

    public string Protect(string secret) => protector.Protect(secret);

    public string Unprotect(string stored) =>
        stored.StartsWith(WebhookSigner.SecretPrefix, StringComparison.Ordinal) ? stored : protector.Unprotect(stored);
}
