namespace ArFleet.IsvWebhook;

public static class WebhookUrls
{
    /// <summary>What is wrong with an endpoint URL, or null: https only (http to loopback in development), no credentials,
    /// an allowed port, and the host must resolve to allowed addresses now; it is checked again at every connection.</summary>
    public static async Task<string?> ProblemWithAsync(string? url, GuardedConnector connector, bool allowLoopback, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || url!.Length > 2000) return "must be an absolute URL";
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowLoopback && uri.Scheme == Uri.UriSchemeHttp)) return "must use https";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "must not contain credentials";
        try
        {
            connector.CheckPort(uri.IdnHost, uri.Port);
            await connector.CheckedAddressesAsync(uri.IdnHost, ct);
            return null;
        }
        catch (RefusedAddressException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException)
        {
            // The resolver's own message may name addresses; the tenant only learns that the name did not resolve.
            return $"'{uri.IdnHost}' could not be resolved";
        }
    }
}
