using System.Diagnostics.Metrics;

namespace ArFleet.ServiceDefaults.Observability;

/// <summary>Creates a <see cref="FleetInstrument"/> on its own meter, refusing one declared for another meter or kind.</summary>
public static class FleetMeterExtensions
{
    public static Counter<long> CreateCounter(this Meter meter, FleetInstrument instrument) =>
        meter.CreateCounter<long>(Checked(meter, instrument, InstrumentKind.Counter).Name, instrument.Unit, instrument.Description);

    public static Histogram<T> CreateHistogram<T>(this Meter meter, FleetInstrument instrument, IReadOnlyList<T>? buckets = null) where T : struct =>
        meter.CreateHistogram(Checked(meter, instrument, InstrumentKind.Histogram).Name, instrument.Unit, instrument.Description, tags: null,
            advice: buckets is null ? null : new InstrumentAdvice<T> { HistogramBucketBoundaries = buckets });

    public static ObservableGauge<long> CreateObservableGauge(this Meter meter, FleetInstrument instrument, Func<IEnumerable<Measurement<long>>> observe) =>
        meter.CreateObservableGauge(Checked(meter, instrument, InstrumentKind.Gauge).Name, observe, instrument.Unit, instrument.Description);

    private static FleetInstrument Checked(Meter meter, FleetInstrument instrument, InstrumentKind kind) =>
        meter.Name == instrument.Meter && instrument.Kind == kind ? instrument
            : throw new InvalidOperationException($"{instrument.Name} is a {instrument.Kind} of meter {instrument.Meter}, not a {kind} of {meter.Name}.");
}
