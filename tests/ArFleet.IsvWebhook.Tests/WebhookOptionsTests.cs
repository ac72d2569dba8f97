using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ArFleet.IsvWebhook.Tests;

public sealed class WebhookOptionsTests
{
    private static WebhookOptions Bound(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddWebhookDelivery();
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptions<WebhookOptions>>().Value;
    }

    [Fact]
    public void A_configured_retry_schedule_replaces_the_default_one()
    {
        var options = Bound(new() { ["Webhooks:RetrySchedule:0"] = "00:00:02", ["Webhooks:RetrySchedule:1"] = "00:01:00" });
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1)], options.RetrySchedule);
    }

    [Fact]
    public void Without_one_the_default_schedule_holds()
    {
        Assert.Equal(new WebhookOptions().RetrySchedule, Bound([]).RetrySchedule);
        Assert.Equal(7, Bound([]).RetrySchedule.Length);
    }

    [Fact]
    public void A_lease_shorter_than_a_send_and_its_record_is_refused_with_what_it_must_outlast()
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Bound(new() { ["Webhooks:Lease"] = "00:00:10", ["Webhooks:Timeout"] = "00:00:15" }));
        Assert.Contains("Webhooks:Lease (00:00:10) must be longer than 2 s + Webhooks:Timeout (00:00:15)", refused.Message);
        Assert.Equal(TimeSpan.FromSeconds(20), Bound(new() { ["Webhooks:Lease"] = "00:00:20", ["Webhooks:Timeout"] = "00:00:15" }).Lease);
        Assert.Equal(TimeSpan.FromMinutes(2), Bound([]).Lease);
    }
}
