using System.Net;
using System.Net.Sockets;

namespace ArFleet.IsvWebhook;

/// <summary>Which addresses and ports a webhook may connect to: public unicast only, so an endpoint URL can never reach
/// inside our network (loopback, private ranges, link-local and the cloud metadata address, CGNAT, multicast, and the
/// IPv6 forms that embed an IPv4 address), on the HTTPS ports only. Loopback is allowed only when development mode asks
/// for it, other ports only in development.</summary>
public static class WebhookAddressPolicy
{
    private static readonly (IPAddress Network, int Prefix)[] RefusedV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8),        // "this network"
        (IPAddress.Parse("10.0.0.0"), 8),       // private
        (IPAddress.Parse("100.64.0.0"), 10),    // carrier-grade NAT
        (IPAddress.Parse("127.0.0.0"), 8),      // loopback
        (IPAddress.Parse("169.254.0.0"), 16),   // link-local, including 169.254.169.254 (cloud metadata)
        (IPAddress.Parse("172.16.0.0"), 12),    // private
        (IPAddress.Parse("192.0.0.0"), 24),     // IETF protocol assignments
        (IPAddress.Parse("192.0.2.0"), 24),     // documentation (TEST-NET-1)
        (IPAddress.Parse("192.88.99.0"), 24),   // 6to4 relay anycast: forwards into IPv6
        (IPAddress.Parse("192.168.0.0"), 16),   // private
        (IPAddress.Parse("198.18.0.0"), 15),    // benchmarking
        (IPAddress.Parse("198.51.100.0"), 24),  // documentation (TEST-NET-2)
        (IPAddress.Parse("203.0.113.0"), 24),   // documentation (TEST-NET-3)
        (IPAddress.Parse("224.0.0.0"), 4),      // multicast
        (IPAddress.Parse("240.0.0.0"), 4),      // reserved and broadcast
    ];

    private static readonly (IPAddress Network, int Prefix)[] RefusedV6 =
    [
        (IPAddress.Parse("::"), 96),            // unspecified, loopback and IPv4-compatible (::a.b.c.d embeds any IPv4 address)
        (IPAddress.Parse("::ffff:0:0:0"), 96),  // IPv4-translated (SIIT) embeds any IPv4 address
        (IPAddress.Parse("64:ff9b::"), 96),     // NAT64 well-known prefix embeds any IPv4 address
        (IPAddress.Parse("64:ff9b:1::"), 48),   // NAT64 local-use prefixes, ours to route anywhere inside
        (IPAddress.Parse("100::"), 64),         // discard-only
        (IPAddress.Parse("2001::"), 23),        // IETF protocol assignments, including Teredo 2001::/32 (embeds an IPv4 address)
        (IPAddress.Parse("2001:db8::"), 32),    // documentation
        (IPAddress.Parse("2002::"), 16),        // 6to4 embeds any IPv4 address
        (IPAddress.Parse("3fff::"), 20),        // documentation
        (IPAddress.Parse("5f00::"), 16),        // segment routing (SRv6) identifiers
        (IPAddress.Parse("fc00::"), 7),         // unique local
        (IPAddress.Parse("fe80::"), 10),        // link-local
        (IPAddress.Parse("fec0::"), 10),        // site-local (deprecated, still routed inside some networks)
        (IPAddress.Parse("ff00::"), 8),         // multicast
    ];

    /// <summary>The HTTPS ports a webhook may use outside development: nothing else is reachable through an endpoint URL,
    /// so one cannot be pointed at a mail relay, a database or an admin port that happens to be public.</summary>
    public static readonly int[] AllowedPorts = [443, 8443];

    public static bool IsAllowedPort(int port, bool allowAnyPort) => allowAnyPort || AllowedPorts.Contains(port);

    public static bool IsAllowed(IPAddress address, bool allowLoopback)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (allowLoopback && IPAddress.IsLoopback(address)) return true;
        var ranges = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => RefusedV4,
            AddressFamily.InterNetworkV6 => RefusedV6,
            _ => null,
        };
        return ranges is not null && !ranges.Any(r => InRange(address, r.Network, r.Prefix));
    }

    private static bool InRange(IPAddress address, IPAddress network, int prefix)
    {
        if (address.AddressFamily != network.AddressFamily) return false;
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        for (var bit = 0; bit < prefix; bit++)
        {
            var mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (n[bit / 8] & mask)) return false;
        }
        return true;
    }
}

/// <summary>Resolves names for webhook connections; tests inject their own.</summary>
public delegate Task<IPAddress[]> HostResolver(string host, CancellationToken cancellationToken);

/// <summary>Opens the connection to already checked addresses; tests inject one that never leaves the machine.</summary>
public delegate ValueTask<Stream> SocketConnector(IPAddress[] addresses, int port, CancellationToken cancellationToken);

/// <summary>The ConnectCallback of the webhook HttpClient: the host is resolved here and every address checked
/// just before connecting, so a name that resolves to a public address at registration and to an internal one
/// later (DNS rebinding) is still refused. <paramref name="allowAnyPort"/> is for development only.</summary>
public sealed class GuardedConnector(HostResolver resolve, bool allowLoopback, SocketConnector? connect = null, bool allowAnyPort = false)
{
    public static readonly HostResolver SystemResolver = (host, ct) => Dns.GetHostAddressesAsync(host, ct);

    public static readonly SocketConnector TcpConnector = async (addresses, port, ct) =>
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };

    private readonly SocketConnector connect = connect ?? TcpConnector;

    public async Task<IPAddress[]> CheckedAddressesAsync(string host, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await resolve(host, cancellationToken);
        if (addresses.Length == 0) throw new HttpRequestException($"'{host}' does not resolve to any address.");
        var refused = addresses.FirstOrDefault(a => !WebhookAddressPolicy.IsAllowed(a, allowLoopback));
        if (refused is not null) throw new RefusedAddressException(host, refused);
        return addresses;
    }

    /// <summary>Throws <see cref="RefusedAddressException"/> for a port webhooks may not use.</summary>
    public void CheckPort(string host, int port)
    {
        if (!WebhookAddressPolicy.IsAllowedPort(port, allowAnyPort)) throw RefusedAddressException.Port(host, port);
    }

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        CheckPort(context.DnsEndPoint.Host, context.DnsEndPoint.Port);
        return await connect(await CheckedAddressesAsync(context.DnsEndPoint.Host, cancellationToken), context.DnsEndPoint.Port, cancellationToken);
    }
}

/// <summary>A destination webhooks may not reach. The message names the host as the tenant wrote it, never the address
/// it resolved to: the message reaches the tenant (a 400 at registration, the delivery log at send time), and our
/// resolver's view of the internal network is not theirs to map.</summary>
public sealed class RefusedAddressException : HttpRequestException
{
    private RefusedAddressException(IPAddress? address, string message) : base(message) => Address = address;

    /// <summary>The refused address, for our own logs only.</summary>
    public IPAddress? Address { get; }

    public RefusedAddressException(string host, IPAddress address)
        : this(address, $"'{host}' resolves to an address webhooks may not reach.") { }

    public static RefusedAddressException Port(string host, int port) =>
        new(null, $"'{host}': port {port} is not one webhooks may reach (use {string.Join(" or ", WebhookAddressPolicy.AllowedPorts)}).");
}
