using Microsoft.Extensions.Configuration;

namespace ArFleet.ServiceDefaults;

/// <summary>The broker named by ConnectionStrings:rabbitmq (amqp://user:pass@host:port/vhost).</summary>
public sealed record BrokerAddress(string Host, ushort Port, string VirtualHost, string User, string Password)
{
    public static BrokerAddress FromConfiguration(IConfiguration configuration) => Parse(configuration.GetConnectionString("rabbitmq")
        ?? throw new InvalidOperationException("ConnectionStrings:rabbitmq is not configured."));

    public static BrokerAddress Parse(string url)
    {
        var uri = new Uri(url);
        var path = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        var (user, password) = ("guest", "guest");
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            (user, password) = (Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
        }
        return new BrokerAddress(uri.Host, (ushort)(uri.IsDefaultPort ? 5672 : uri.Port), path.Length == 0 ? "/" : path, user, password);
    }
}
