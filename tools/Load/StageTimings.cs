using System.Text.Json.Nodes;
using ArFleet.Testing;

namespace ArFleet.Load;

/// <summary>One step of a scan in one service: how many messages its consumer took during the run, the mean time from
/// a message being sent to being consumed (MassTransit's delivery duration) and the mean time the consumer worked on
/// one (its consume duration), in milliseconds.</summary>
public sealed record Stage(string Service, string Consumer, string Message, long Messages, double SentToConsumedMs, double ConsumingMs);

/// <summary>Where a scan's time goes, from the services' own metrics: each service's <c>/metrics</c> is read before and
/// after the run, and the MassTransit histograms' sums and counts differenced.</summary>
public static class StageTimings
{
    private const string Delivery = "messaging_masstransit_delivery_duration_milliseconds";
    private const string Consume = "messaging_masstransit_consume_duration_milliseconds";
    // The scan's events, in the order a scan meets them.
    private static readonly string[] Flow = ["ScanSubmitted", "ScanRecognized", "ScanUnrecognized", "RewardRequested", "RewardIssued", "RewardDenied",
        "ScanResolved"];

    /// <summary>The services of an endpoints.json (./arfleet up's), recognition's extra workers included.</summary>
    public static Dictionary<string, Uri> Services(string endpointsFile)
    {
        var endpoints = JsonNode.Parse(File.ReadAllText(endpointsFile))!.AsObject();
        // Not the console (no consumers), the admin key, or RabbitMQ's own endpoints.
        return endpoints.Where(e => e.Key is not ("adminKey" or "console") && !e.Key.StartsWith("rabbitmq", StringComparison.Ordinal) && e.Value is JsonValue)
            .ToDictionary(e => e.Key, e => new Uri((string)e.Value!));
    }

    public static async Task<Dictionary<string, IReadOnlyList<PrometheusSample>>> ScrapeAsync(HttpClient http, IReadOnlyDictionary<string, Uri> services)
    {
        var scrapes = new Dictionary<string, IReadOnlyList<PrometheusSample>>();
        foreach (var (name, address) in services)
        {
            try { scrapes[name] = await PrometheusScrape.GetAsync(http, new Uri(address, "/metrics")); }
            catch (HttpRequestException) { scrapes[name] = []; } // a service without /metrics (an older build) has no stages
        }
        return scrapes;
    }

    public static List<Stage> Between(IReadOnlyDictionary<string, IReadOnlyList<PrometheusSample>> before,
        IReadOnlyDictionary<string, IReadOnlyList<PrometheusSample>> after)
    {
        var stages = new List<Stage>();
        foreach (var (service, samples) in after)
        {
            var earlier = before.GetValueOrDefault(service, []);
            var consumers = samples.Where(s => s.Name == Consume + "_count").Select(Key).Distinct();
            foreach (var (consumer, message) in consumers.Where(c => Flow.Contains(c.Message)))
            {
                double Delta(string series) => Sum(samples, series, consumer, message) - Sum(earlier, series, consumer, message);
                var count = Delta(Consume + "_count");
                if (count <= 0) continue;
                var delivered = Delta(Delivery + "_count");
                stages.Add(new Stage(service, consumer, message, (long)count,
                    delivered > 0 ? Delta(Delivery + "_sum") / delivered : double.NaN, Delta(Consume + "_sum") / count));
            }
        }
        return [.. stages.OrderBy(s => Array.IndexOf(Flow, s.Message)).ThenBy(s => s.Service, StringComparer.Ordinal)];
    }

    private static (string Consumer, string Message) Key(PrometheusSample sample) =>
        (sample.Labels.GetValueOrDefault("messaging_masstransit_consumer_type", "?"), sample.Labels.GetValueOrDefault("messaging_masstransit_message_type",
            "?"));

    private static double Sum(IEnumerable<PrometheusSample> samples, string series, string consumer, string message) =>
        samples.Where(s => s.Name == series && Key(s) == (consumer, message)).Sum(s => s.Value);
}
