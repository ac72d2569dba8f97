using System.Net;
using ArFleet.IsvWebhook;

namespace ArFleet.UnitTests;

/// <summary>Refusals are checked through the policy and the connect hook with an injected resolver: no request leaves the machine.</summary>
public class WebhookAddressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("fd00::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("64:ff9b::a00:1")]
    [InlineData("::")]
    [InlineData("::a00:1")]                                 // IPv4-compatible
    [InlineData("::ffff:0:a00:1")]                          // IPv4-translated
    [InlineData("64:ff9b:1::a00:1")]                        // NAT64 local use
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")]    // Teredo
    [InlineData("2001:db8::1")]                             // documentation
    [InlineData("2002:a00:1::1")]                           // 6to4
    [InlineData("fec0::1")]                                 // site-local
    [InlineData("100::1")]                                  // discard-only
    [InlineData("192.0.2.1")]                               // documentation
    [InlineData("198.51.100.1")]
    [InlineData("203.0.113.1")]
    [InlineData("192.88.99.1")]                             // 6to4 relay
    public void Internal_addresses_are_refused(string address) =>
        Assert.False(WebhookAddressPolicy.IsAllowed(IPAddress.Parse(address), allowLoopback: false));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:2800:21f:cb07:6820:80da:af6b:8b2c")]
    [InlineData("2a00:1450:4001:82b::200e")]
    [InlineData("2001:4860:4860::8888")]                    // outside 2001::/23
    public void Public_addresses_are_allowed(string address) =>
        Assert.True(WebhookAddressPolicy.IsAllowed(IPAddress.Parse(address), allowLoopback: false));

    [Fact]
    public void Loopback_is_allowed_only_by_the_development_setting()
    {
        Assert.True(WebhookAddressPolicy.IsAllowed(IPAddress.Loopback, allowLoopback: true));
        Assert.True(WebhookAddressPolicy.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1"), allowLoopback: true));
        Assert.False(WebhookAddressPolicy.IsAllowed(IPAddress.Parse("10.0.0.1"), allowLoopback: true));
    }

    [Theory]
    [InlineData(443, false, true)]
    [InlineData(8443, false, true)]
    [InlineData(80, false, false)]
    [InlineData(8080, false, false)]
    [InlineData(5432, false, false)]
    [InlineData(8080, true, true)]
    public void Only_the_https_ports_are_allowed_outside_development(int port, bool development, bool allowed) =>
        Assert.Equal(allowed, WebhookAddressPolicy.IsAllowedPort(port, development));

    [Theory]
    [InlineData("rebind.example", "127.0.0.1")]
    [InlineData("metadata.example", "169.254.169.254")]
    [InlineData("mixed.example", "93.184.215.14,10.0.0.7")]
    public async Task A_name_resolving_to_an_internal_address_is_refused_at_connect_time(string host, string addresses)
    {
        HostResolver resolver = (_, _) => Task.FromResult(addresses.Split(',').Select(IPAddress.Parse).ToArray());
        var connector = new GuardedConnector(resolver, allowLoopback: false);
        var refused = await Assert.ThrowsAsync<RefusedAddressException>(() => connector.CheckedAddressesAsync(host, CancellationToken.None));
        Assert.NotNull(refused.Address);
        Assert.DoesNotContain(refused.Address.ToString(), refused.Message);
        Assert.Contains(host, refused.Message);
    }

    [Theory]
    [InlineData("[::1]")]
    [InlineData("127.0.0.1")]
    [InlineData("[::ffff:127.0.0.1]")]
    public async Task Literal_addresses_are_checked_without_resolving(string host)
    {
        HostResolver resolver = (_, _) => throw new InvalidOperationException("a literal address must not be resolved");
        var connector = new GuardedConnector(resolver, allowLoopback: false);
        await Assert.ThrowsAsync<RefusedAddressException>(() => connector.CheckedAddressesAsync(host, CancellationToken.None));
    }
}
