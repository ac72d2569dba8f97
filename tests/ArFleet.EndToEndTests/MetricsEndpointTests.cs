using System.Net;
using ArFleet.ServiceDefaults.Observability;
using ArFleet.Testing;

namespace ArFleet.EndToEndTests;

/// <summary>Each service's /metrics after real scans: the series the dashboard and the alert rules read are there, with
/// the values the scans should give them; RabbitMQ's plugin shows the fleet's queues.</summary>
[Collection(FleetCollection.Name)]
public sealed class MetricsEndpointTests(FleetFixture fixture)
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task After_a_scan_every_service_exposes_its_series_and_the_dashboard_reads_only_series_that_exist()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var brand = await Client.CreateTenantAsync("Metrics brand", "brand");
        var app = await Client.CreateTenantAsync("Metrics app", "app");
        await Client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "scan.resolved", "voucher.issued");
        var (targetId, targetImage) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 950);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: 5));

        using (var rewarded = await Client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(targetImage, seed: 951).Jpeg, "metrics-user-1",
            "metrics-device-1"))
            Assert.Equal("rewarded", (string?)(await Client.ResolvedScanAsync(app.ApiKey, rewarded))["outcome"]);
        using (var unrecognized = await Client.SubmitScanAsync(app.ApiKey, TestImages.UnrelatedPhoto(seed: 952), "metrics-user-2", "metrics-device-2"))
            Assert.Equal("unrecognized", (string?)(await Client.ResolvedScanAsync(app.ApiKey, unrecognized))["outcome"]);
        await receiver.WaitForAsync(r => r.Count(d => d.Body.Contains("voucher.issued")) >= 1 && r.Count(d => d.Body.Contains("scan.resolved")) >= 2,
            TimeSpan.FromSeconds(30));

        // Sampled gauges (1 s here) and reconciliation (5 s here) catch up within a few seconds.
        var scrapes = await ScrapeUntilAsync(s =>
            Value(s["voucher-issuance"], "arfleet_vouchers_budget_remaining", ("campaign_id", campaignId.ToString())) == 4
            && Value(s["voucher-issuance"], "arfleet_vouchers_budget_drift", ("campaign_id", campaignId.ToString())) is not null
            && Value(s["isv-webhook"], "arfleet_webhooks_attempts_total", ("result", "succeeded")) >= 3
            && Value(s["isv-webhook"], "arfleet_webhooks_backlog", ("state", "due")) is not null, TimeSpan.FromSeconds(30));

        Assert.True(Value(scrapes["ingest"], "arfleet_scans_resolved_total", ("outcome", "rewarded"), ("status", "resolved")) >= 1);
        Assert.True(Value(scrapes["ingest"], "arfleet_scans_resolved_total", ("outcome", "unrecognized")) >= 1);
        Assert.True(Value(scrapes["recognition"], "arfleet_recognition_duration_seconds_count", ("result", "recognized")) >= 1);
        Assert.True(Value(scrapes["recognition"], "arfleet_recognition_duration_seconds_count", ("result", "noMatch")) >= 1);
        Assert.Contains(scrapes["recognition"], s => s.Name == "arfleet_recognition_duration_seconds_bucket" && s.Labels.GetValueOrDefault("le") == "0.05");
        Assert.Equal(0, Value(scrapes["voucher-issuance"], "arfleet_vouchers_budget_drift", ("campaign_id", campaignId.ToString())));
        Assert.NotNull(Value(scrapes["voucher-issuance"], "arfleet_vouchers_ledger_problems_total"));
        // Every service, the console too: its HTTP requests (the scrape itself is one) and the runtime.
        Assert.All(scrapes, s =>
        {
            Assert.Contains(s.Value, x => x.Name == "http_server_request_duration_seconds_count");
            Assert.Contains(s.Value, x => x.Name.StartsWith("dotnet_", StringComparison.Ordinal));
        });
        // The services on the bus report MassTransit's consumer metrics.
        Assert.All(Fleet.ServiceNames.Where(n => n != "console"), n => Assert.Contains(scrapes[n], x => x.Name.StartsWith("messaging_masstransit_",
            StringComparison.Ordinal)));

        // Every series the dashboard and alert rules read that the services or RabbitMQ serve is really served.
        var served = scrapes.Values.SelectMany(s => s).Select(s => s.Name).ToHashSet();
        var listed = ObservabilityConfig.ExporterSeries();
        var used = ObservabilityConfig.AllExpressions().SelectMany(ObservabilityConfig.SeriesNames).ToHashSet();
        var fromServices = used.Where(n => n.StartsWith("arfleet_", StringComparison.Ordinal) || listed.GetValueOrDefault(n) == "service").ToList();
        Assert.NotEmpty(fromServices);
        Assert.All(fromServices, n => Assert.Contains(n, served));
        Assert.All(FleetInstruments.All.SelectMany(i => i.PrometheusSeries), n => Assert.Contains(n, served));

        // RabbitMQ's plugin (./arfleet exports where it listens; Testcontainers maps it).
        var rabbitMq = Fleet.Infrastructure.RabbitMqPrometheusUrl;
        Assert.True(rabbitMq is not null, "ARFLEET_RABBITMQ_PROMETHEUS_URL is not set (./arfleet test sets it): where does rabbitmq_prometheus listen?");
        var queues = await PrometheusScrape.GetAsync(Http,
            new Uri($"{rabbitMq.TrimEnd('/')}/metrics/detailed?vhost={Uri.EscapeDataString(Fleet.VirtualHost)}" +
                "&family=queue_coarse_metrics&family=queue_consumer_count"));
        var fromRabbitMq = used.Where(n => listed.GetValueOrDefault(n) == "rabbitmq").ToList();
        Assert.NotEmpty(fromRabbitMq);
        Assert.All(fromRabbitMq, n => Assert.Contains(queues, s => s.Name == n && s.Labels.GetValueOrDefault("queue") == "recognition-scan-submitted"
            && s.Labels.GetValueOrDefault("vhost") == Fleet.VirtualHost));
        Assert.True(Value(queues, "rabbitmq_detailed_queue_consumers", ("queue", "recognition-scan-submitted")) >= 1);
    }

    [Fact]
    public async Task Metrics_need_no_key_and_say_they_are_Prometheus_text()
    {
        using var response = await Http.GetAsync(new Uri(Fleet.Ingest, Telemetry.MetricsPath));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.NotEmpty(PrometheusScrape.Parse(await response.Content.ReadAsStringAsync()));
    }

    private async Task<Dictionary<string, IReadOnlyList<PrometheusSample>>> ScrapeUntilAsync(
        Func<Dictionary<string, IReadOnlyList<PrometheusSample>>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var scrapes = new Dictionary<string, IReadOnlyList<PrometheusSample>>();
            foreach (var (name, service) in Fleet.Services)
                scrapes[name] = await PrometheusScrape.GetAsync(Http, new Uri(service.BaseAddress, Telemetry.MetricsPath));
            if (done(scrapes) || DateTime.UtcNow > deadline) return scrapes;
            await Task.Delay(500);
        }
    }

    /// <summary>The sum of the series' samples whose labels include these, or null if there is none.</summary>
    private static double? Value(IEnumerable<PrometheusSample> samples, string name, params (string Label, string Value)[] labels)
    {
        var matching = samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Label) == l.Value)).ToList();
        return matching.Count == 0 ? null : matching.Sum(s => s.Value);
    }
}
