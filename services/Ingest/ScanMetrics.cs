using System.Diagnostics.Metrics;
using System.Text.Json;
using ArFleet.Contracts;
using ArFleet.ServiceDefaults.Observability;

namespace ArFleet.Ingest;

/// <summary>Counts the results ingest stores, by outcome: every scan's outcome is known here, whichever service
/// decided it.</summary>
public sealed class ScanMetrics
{
    private readonly Counter<long> resolved;

    public ScanMetrics(IMeterFactory meters) =>
        resolved = meters.Create(FleetInstruments.IngestMeter).CreateCounter(FleetInstruments.ScansResolved);

    public void Resolved(ScanResolved result) => resolved.Add(1,
        new KeyValuePair<string, object?>("outcome", JsonNamingPolicy.CamelCase.ConvertName(result.Outcome.ToString())),
        new KeyValuePair<string, object?>("status", JsonNamingPolicy.CamelCase.ConvertName(result.Status.ToString())));
}
