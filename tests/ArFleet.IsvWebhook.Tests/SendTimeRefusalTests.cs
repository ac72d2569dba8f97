using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ArFleet.IsvWebhook.Tests;

/// <summary>The service's own webhook HttpClient, wired as in production (the development setting asked for but
/// ignored outside Development), with the resolver and the socket connector injected: the refusals are proven
/// through the connect hook, and a connection that would leave the machine is only recorded, never opened.</summary>
public sealed class SendTimeRefusalTests : IDisposable
{
    private readonly List<IPAddress[]> connections = [];
    private readonly ServiceProvider services;

    public SendTimeRefusalTests()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Webhooks:AllowLoopback"] = "true" });
        builder.AddWebhookDelivery();
        builder.Services.AddSingleton<HostResolver>((host, _) => Task.FromResult(host switch
        {
            "loopback.example" => [IPAddress.Loopback],
            "rebind.example" => [IPAddress.Parse("10.0.0.7")],
            "mixed.example" => [IPAddress.Parse("93.184.215.14"), IPAddress.Parse("169.254.169.254")],
            "public.example" => [IPAddress.Parse("93.184.215.14")],
            "compatible.example" => [IPAddress.Parse("::a00:7")],
            "nat64-local.example" => [IPAddress.Parse("64:ff9b:1::a00:7")],
            "teredo.example" => [IPAddress.Parse("2001:0:4136:e378:8000:63bf:3fff:fdd2")],
            "site-local.example" => [IPAddress.Parse("fec0::7")],
            _ => Array.Empty<IPAddress>(),
        }));
        builder.Services.AddSingleton<SocketConnector>((addresses, _, _) =>
        {
            lock (connections) connections.Add(addresses);
            throw new HttpRequestException("the test connector opens no connection");
        });
        services = (ServiceProvider)builder.Services.BuildServiceProvider();
    }

    [Theory]
    [InlineData("https://127.0.0.1/hooks")]
    [InlineData("https://10.1.2.3/hooks")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://[::1]/hooks")]
    [InlineData("https://[::ffff:127.0.0.1]/hooks")]
    [InlineData("https://loopback.example/hooks")]
    [InlineData("https://rebind.example/hooks")]
    [InlineData("https://mixed.example/hooks")]
    [InlineData("https://compatible.example/hooks")]
    [InlineData("https://nat64-local.example/hooks")]
    [InlineData("https://teredo.example/hooks")]
    [InlineData("https://site-local.example/hooks")]
    [InlineData("https://public.example:8080/hooks")]
    [InlineData("https://public.example:25/hooks")]
    public async Task Internal_destinations_are_refused_at_connect_time(string url)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(DeliveryDispatcher.HttpClientName);
        var e = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync(url, new StringContent("{}")));
        var refused = Assert.IsType<RefusedAddressException>(e.InnerException ?? e);
        if (!IPAddress.TryParse(new Uri(url).Host.Trim('[', ']'), out _)) // a name: the tenant sees the message, never what it resolved to
            Assert.DoesNotContain(refused.Address?.ToString() ?? "no address", refused.Message);
        Assert.Empty(connections);
    }

    [Theory]
    [InlineData("compatible.example", "::a00:7")]
    [InlineData("nat64-local.example", "64:ff9b:1::a00:7")]
    [InlineData("teredo.example", "2001:0:4136:e378:8000:63bf:3fff:fdd2")]
    [InlineData("site-local.example", "fec0::7")]
    [InlineData("rebind.example", "10.0.0.7")]
    public async Task Registration_refuses_a_name_that_resolves_inside_without_naming_the_address(string host, string address)
    {
        var problem = await WebhookUrls.ProblemWithAsync($"https://{host}/hooks", services.GetRequiredService<GuardedConnector>(), false,
            CancellationToken.None);
        Assert.NotNull(problem);
        Assert.Contains("may not reach", problem);
        Assert.DoesNotContain(address, problem);
        Assert.DoesNotContain(IPAddress.Parse(address).ToString(), problem);
    }

    [Fact]
    public async Task Port_8443_passes_the_check_and_reaches_the_connector()
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(DeliveryDispatcher.HttpClientName);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync("https://public.example:8443/hooks", new StringContent("{}")));
        Assert.Single(connections);
        Assert.Null(await WebhookUrls.ProblemWithAsync("https://public.example:8443/hooks", services.GetRequiredService<GuardedConnector>(), false,
            CancellationToken.None));
    }

    [Fact]
    public async Task A_public_destination_passes_the_check_and_reaches_the_connector()
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(DeliveryDispatcher.HttpClientName);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync("https://public.example/hooks", new StringContent("{}")));
        Assert.Equal([IPAddress.Parse("93.184.215.14")], Assert.Single(connections));
    }

    [Theory]
    [InlineData("https://127.0.0.1/hooks")]
    [InlineData("https://10.0.0.1/hooks")]
    [InlineData("https://169.254.169.254/hooks")]
    [InlineData("https://[::1]/hooks")]
    [InlineData("https://[::ffff:127.0.0.1]/hooks")]
    [InlineData("https://loopback.example/hooks")]
    [InlineData("http://public.example/hooks")]
    [InlineData("https://user:pass@public.example/hooks")]
    [InlineData("ftp://public.example/hooks")]
    [InlineData("https://public.example:8080/hooks")]
    [InlineData("https://public.example:22/hooks")]
    [InlineData("not a url")]
    public async Task Registration_refuses_internal_and_non_https_urls_when_the_development_setting_is_off(string url)
    {
        var problem = await WebhookUrls.ProblemWithAsync(url, services.GetRequiredService<GuardedConnector>(), allowLoopback: false, CancellationToken.None);
        Assert.NotNull(problem);
        Assert.Empty(connections);
    }

    [Fact]
    public async Task Registration_accepts_a_public_https_url_without_connecting()
    {
        Assert.Null(await WebhookUrls.ProblemWithAsync("https://public.example/hooks", services.GetRequiredService<GuardedConnector>(), false,
            CancellationToken.None));
        Assert.Empty(connections);
    }

    public void Dispose() => services.Dispose();
}
