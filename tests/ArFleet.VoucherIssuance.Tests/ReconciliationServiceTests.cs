using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ArFleet.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ArFleet.VoucherIssuance.Tests;

[Collection("vouchers")]
public class ReconciliationServiceTests(VoucherStore store)
{
    [Fact]
    public async Task The_background_check_records_redis_drift_as_a_metric()
    {
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        await store.Issuer(buckets: 2).IssueAsync(VoucherStore.Request(campaignId, tenantId, "alice", new RewardTerms(10, 500, "CNY", 30),
            new RewardLimits(1, 0, 0)), default);
        await store.Gate.AdjustStockAsync(campaignId, 0, 5);

        var drifts = new ConcurrentBag<long>();
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = meters.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "arfleet.vouchers.redis_drift" && instrument.Meter.Scope == meterFactory) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => drifts.Add(value));
        listener.Start();
        var service = new ReconciliationService(store.Reconciliation, store.Ledger,
            Options.Create(new VoucherOptions { ReconcileInterval = TimeSpan.FromMilliseconds(100) }), new VoucherMetrics(meterFactory),
            NullLogger<ReconciliationService>.Instance);

        await service.StartAsync(default);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!drifts.Contains(5) && DateTime.UtcNow < deadline) await Task.Delay(50);
        await service.StopAsync(default);

        Assert.Contains(5L, drifts); // other campaigns of this test run may report drifts of their own
    }
}
