using ArFleet.ServiceDefaults.Observability;
using ArFleet.Testing;
using YamlDotNet.RepresentationModel;

namespace ArFleet.UnitTests;

/// <summary>deploy/observability against the fleet's instruments: every series the Grafana dashboard and the alert
/// rules read is one the services record (FleetInstruments) or one listed in exporter-series.txt, whose service and
/// RabbitMQ entries MetricsEndpointTests finds in real scrapes.</summary>
public class ObservabilityConfigTests
{
    private static readonly HashSet<string> InstrumentSeries = [.. FleetInstruments.All.SelectMany(i => i.PrometheusSeries)];

    [Theory]
    [InlineData("sum by (outcome) (rate(arfleet_scans_resolved_total[$__rate_interval]))", new[] { "arfleet_scans_resolved_total" })]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(arfleet_recognition_duration_seconds_bucket[5m]))) > 1",
        new[] { "arfleet_recognition_duration_seconds_bucket" })]
    [InlineData("sum by (vhost, queue) (rabbitmq_detailed_queue_messages{queue=~\".+_error\", vhost=\"a b\"}) > 0",
        new[] { "rabbitmq_detailed_queue_messages" })]
    [InlineData("sum(rate(a_total{result!=\"x\"}[10m])) / on(job) group_left(service) sum(rate(b_total[10m])) offset 5m", new[] { "a_total", "b_total" })]
    [InlineData("label_values(rabbitmq_detailed_queue_messages, vhost)", new[] { "rabbitmq_detailed_queue_messages", "vhost" })]
    [InlineData("up{job=\"arfleet\"} == 0 and 1e3 > 2", new[] { "up" })]
    public void Series_names_are_read_out_of_PromQL(string promQl, string[] expected) =>
        Assert.Equal(expected.Order(), ObservabilityConfig.SeriesNames(promQl).Order());

    [Fact]
    public void Instruments_are_named_as_the_Prometheus_exporter_names_them()
    {
        Assert.Equal("arfleet_scans_resolved_total", FleetInstruments.ScansResolved.PrometheusName);
        Assert.Equal("arfleet_recognition_duration_seconds", FleetInstruments.RecognitionDuration.PrometheusName);
        Assert.Equal(["arfleet_recognition_duration_seconds_bucket", "arfleet_recognition_duration_seconds_sum", "arfleet_recognition_duration_seconds_count"],
            FleetInstruments.RecognitionDuration.PrometheusSeries);
        Assert.Equal("arfleet_vouchers_budget_remaining", FleetInstruments.BudgetRemaining.PrometheusName);
        Assert.Equal(FleetInstruments.All.Count, FleetInstruments.All.Select(i => i.Name).Distinct().Count());
        Assert.All(FleetInstruments.All, i => Assert.StartsWith("arfleet.", i.Name));
    }

    [Fact]
    public void Every_series_the_dashboard_and_the_alerts_read_is_an_instrument_or_a_listed_exporter_series()
    {
        var listed = ObservabilityConfig.ExporterSeries();
        Assert.All(listed.Values, source => Assert.Contains(source, new[] { "prometheus", "service", "rabbitmq", "postgres", "redis" }));
        Assert.Empty(listed.Keys.Intersect(InstrumentSeries)); // listed once, where it comes from

        var expressions = ObservabilityConfig.AllExpressions();
        Assert.NotEmpty(expressions);
        var unknown = expressions
            .SelectMany(e => ObservabilityConfig.SeriesNames(e).Select(name => (name, e)))
            .Where(u => !InstrumentSeries.Contains(u.name) && !listed.ContainsKey(u.name))
            .Where(u => !(u.e.StartsWith("label_values(", StringComparison.Ordinal) && u.e.EndsWith($", {u.name})",
                StringComparison.Ordinal))) // the label asked for
            .Select(u => $"{u.name} in {u.e}");
        Assert.Empty(unknown);
    }

    [Theory]
    [InlineData("Scans per second by outcome", "arfleet_scans_resolved_total")]
    [InlineData("Recognition time per frame", "arfleet_recognition_duration_seconds_bucket")]
    [InlineData("Queue depth per queue (ready)", "rabbitmq_detailed_queue_messages_ready")]
    [InlineData("Remaining budget per campaign", "arfleet_vouchers_budget_remaining")]
    [InlineData("Webhook backlog", "arfleet_webhooks_backlog")]
    [InlineData("Webhook attempts per second by result", "arfleet_webhooks_attempts_total")]
    public void The_dashboard_has_the_panels_an_operator_reads(string title, string series)
    {
        var panel = Assert.Single(ObservabilityConfig.DashboardPanels(), p => p.Title == title);
        Assert.Contains(panel.Expressions, e => ObservabilityConfig.SeriesNames(e).Contains(series));
    }

    [Fact]
    public void Dashboard_panels_have_unique_ids_and_a_data_source_input()
    {
        var dashboard = ObservabilityConfig.Dashboard();
        var ids = dashboard["panels"]!.AsArray().Select(p => (int)p!["id"]!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("DS_PROMETHEUS", (string?)dashboard["__inputs"]![0]!["name"]);
        Assert.All(dashboard["panels"]!.AsArray().Where(p => (string?)p!["type"] != "row"),
            p => Assert.Equal("${DS_PROMETHEUS}", (string?)p!["datasource"]!["uid"]));
    }

    [Theory]
    [InlineData("ArFleetErrorQueueNotEmpty", "rabbitmq_detailed_queue_messages")]
    [InlineData("ArFleetConsumerMissing", "rabbitmq_detailed_queue_consumers")]
    [InlineData("ArFleetBudgetDrift", "arfleet_vouchers_budget_drift")]
    public void The_alerts_asked_for_exist_on_their_series(string alert, string series)
    {
        var rule = Assert.Single(ObservabilityConfig.AlertRules(), r => Scalar(r, "alert") == alert);
        Assert.Contains(series, ObservabilityConfig.SeriesNames(Scalar(rule, "expr")));
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_and_a_description()
    {
        var rules = ObservabilityConfig.AlertRules();
        Assert.Equal(rules.Count, rules.Select(r => Scalar(r, "alert")).Distinct().Count());
        Assert.All(rules, r =>
        {
            Assert.Contains(Scalar((YamlMappingNode)r["labels"], "severity"), new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace(Scalar((YamlMappingNode)r["annotations"], "summary")));
            Assert.False(string.IsNullOrWhiteSpace(Scalar((YamlMappingNode)r["annotations"], "description")));
            Assert.Matches("^[0-9]+[smh]$", Scalar(r, "for"));
        });
    }

    [Theory]
    [InlineData("prometheus.yml")]
    [InlineData("prometheus-kubernetes.yml")]
    public void Prometheus_configs_load_the_alerts_and_scrape_the_fleet_and_the_queues(string file)
    {
        var config = ObservabilityConfig.Yaml(file);
        Assert.Equal(["alerts.yml"], ((YamlSequenceNode)config["rule_files"]).Select(n => ((YamlScalarNode)n).Value));
        var jobs = ((YamlSequenceNode)config["scrape_configs"]).Cast<YamlMappingNode>().ToDictionary(j => Scalar(j, "job_name"));
        Assert.Contains("arfleet", jobs.Keys); // alerts read up{job="arfleet"}
        Assert.Equal("/metrics/detailed", Scalar(jobs["rabbitmq-queues"], "metrics_path"));
    }

    [Fact]
    public void The_local_Prometheus_config_scrapes_every_service_of_the_topology_on_its_port()
    {
        var job = ((YamlSequenceNode)ObservabilityConfig.Yaml("prometheus.yml")["scrape_configs"]).Cast<YamlMappingNode>().Single(j => Scalar(j,
            "job_name") == "arfleet");
        var targets = ((YamlSequenceNode)job["static_configs"]).Cast<YamlMappingNode>()
            .ToDictionary(t => Scalar((YamlMappingNode)t["labels"], "service"), t => ((YamlScalarNode)((YamlSequenceNode)t["targets"])[0]).Value);
        Assert.Equal(Topology.Services.ToDictionary(s => s.Name, s => (string?)$"127.0.0.1:{s.Port}").OrderBy(p => p.Key), targets.OrderBy(p => p.Key));
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;
}
