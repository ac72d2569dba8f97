namespace ArFleet.ServiceDefaults.Observability;

public enum InstrumentKind { Counter, Histogram, Gauge }

/// <summary>One of the fleet's own metrics as it is declared (OpenTelemetry name and unit) and as Prometheus scrapes it.
/// The services create their instruments from these, so the dashboard and alert rules can be checked against them.</summary>
public sealed record FleetInstrument(string Meter, string Name, string Unit, InstrumentKind Kind, string Description)
{
    /// <summary>The name the OpenTelemetry Prometheus exporter gives it: dots to underscores, the unit as a suffix
    /// (annotations such as {scan} dropped), _total on counters; a histogram's series add _bucket, _sum and _count.</summary>
    public string PrometheusName
    {
        get
        {
            var name = Name.Replace('.', '_');
            var unit = Unit switch
            {
                "s" => "seconds",
                "ms" => "milliseconds",
                "By" => "bytes",
                "1" => "ratio",
                _ when Unit.StartsWith('{') && Unit.EndsWith('}') => "",
                _ => throw new InvalidOperationException($"No Prometheus suffix known for the unit '{Unit}' of {Name}."),
            };
            if (unit.Length > 0 && !name.EndsWith("_" + unit, StringComparison.Ordinal)) name += "_" + unit;
            return Kind == InstrumentKind.Counter ? name + "_total" : name;
        }
    }

    /// <summary>Every series name a scrape shows for it.</summary>
    public IEnumerable<string> PrometheusSeries => Kind == InstrumentKind.Histogram
        ? [PrometheusName + "_bucket", PrometheusName + "_sum", PrometheusName + "_count"]
        : [PrometheusName];
}
