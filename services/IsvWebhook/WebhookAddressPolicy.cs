using System.Net;
using System.Net.Sockets;

namespace ArFleet.IsvWebhook;

/// <summary>Which addresses a webhook may connect to: public unicast only, so an endpoint URL can never reach
/// inside our network (loopback, private ranges, link-local and the cloud metadata address, CGNAT, multicast).
/// Loopback is allowed only when development mode asks for it.</summary>
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
        (IPAddress.Parse("192.168.0.0"), 16),   // private
        (IPAddress.Parse("198.18.0.0"), 15),    // benchmarking
        (IPAddress.Parse("224.0.0.0"), 4),      // multicast
        (IPAddress.Parse("240.0.0.0"), 4),      // reserved and broadcast
    ];

    private static readonly (IPAddress Network, int Prefix)[] RefusedV6 =
    [
        (IPAddress.Parse("::"), 128),           // unspecified
        (IPAddress.Parse("::1"), 128),          // loopback
        (IPAddress.Parse("fc00::"), 7),         // unique local
        (IPAddress.Parse("fe80::"), 10),        // link-local
        (IPAddress.Parse("ff00::"), 8),         // multicast
        (IPAddress.Parse("64:ff9b::"), 96),     // NAT64 can embed any IPv4 address
        (IPAddress.Parse("2002::"), 16),        // 6to4 can embed any IPv4 address
    ];

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
/// later (DNS rebinding) is still refused.</summary>
public sealed class GuardedConnector(HostResolver resolve, bool allowLoopback, SocketConnector? connect = null)
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

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken) =>
        await connect(await CheckedAddressesAsync(context.DnsEndPoint.Host, cancellationToken), context.DnsEndPoint.Port, cancellationToken);
}

public sealed class RefusedAddressException(string host, IPAddress address)
    : HttpRequestException($"'{host}' resolves to {address}, an address webhooks may not reach.");
