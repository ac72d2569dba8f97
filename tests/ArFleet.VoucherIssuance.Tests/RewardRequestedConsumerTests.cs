using ArFleet.Contracts;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ArFleet.VoucherIssuance.Tests;

/// <summary>The consumer on MassTransit's in-memory test harness, with the real issuer on the real Redis and PostgreSQL.</summary>
[Collection("vouchers")]
public class RewardRequestedConsumerTests(VoucherStore store)
{
    private async Task<ITestHarness> StartAsync()
    {
        var provider = new ServiceCollection()
            .AddSingleton(store.Gate).AddSingleton(store.Ledger).AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(new VoucherOptions { Buckets = 4 })).AddSingleton<GroupCommit>().AddSingleton<VoucherIssuer>()
            // The harness waits for published messages only while the bus is busy (6 s of quiet by default): on a loaded
            // machine the real issuer can be slower than that, so it waits for up to a minute.
            .AddMassTransitTestHarness(x =>
            {
                x.AddConsumer<RewardRequestedConsumer>();
                x.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(1), testInactivityTimeout: TimeSpan.FromSeconds(12));
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return harness;
    }

    [Fact]
    public async Task Bad_requests_fault_with_their_reason_and_the_consumer_keeps_issuing()
    {
        var harness = await StartAsync();
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var limits = new RewardLimits(1, 0, 0);
        var malformed = VoucherStore.Request(campaignId, tenantId, "alice", new RewardTerms(10, 500, "yuan", 30), limits);
        var stranger = VoucherStore.Request(campaignId, Guid.NewGuid(), "mallory", new RewardTerms(10, 500, "CNY", 30), limits);
        var sound = VoucherStore.Request(campaignId, tenantId, "bob", new RewardTerms(10, 500, "CNY", 30), limits);

        await harness.Bus.Publish(malformed);
        Assert.True(await harness.Published.Any<Fault<RewardRequested>>(f => f.Context.Message.Message.ScanId == malformed.ScanId));
        await harness.Bus.Publish(sound);
        Assert.True(await harness.Published.Any<RewardIssued>(m => m.Context.Message.ScanId == sound.ScanId));
        Assert.True(await harness.Published.Any<ScanResolved>(m => m.Context.Message.ScanId == sound.ScanId
            && m.Context.Message.Outcome == ScanOutcome.Rewarded));
        await harness.Bus.Publish(stranger); // the campaign now belongs to tenantId

        var faults = harness.Published.Select<Fault<RewardRequested>>().Select(f => f.Context.Message).ToList();
        Assert.Contains(faults, f => f.Message.ScanId == malformed.ScanId && f.Exceptions[0].Message.Contains("Currency 'yuan'"));
        Assert.True(await harness.Published.Any<Fault<RewardRequested>>(f =>
            f.Context.Message.Message.ScanId == stranger.ScanId && f.Context.Message.Exceptions[0].Message.Contains("another tenant")));
        Assert.False(await harness.Published.Any<RewardIssued>(m => m.Context.Message.ScanId == stranger.ScanId));
        await harness.Stop();
    }

    [Fact]
    public async Task A_denial_is_published_with_its_reason_and_resolves_the_scan()
    {
        var harness = await StartAsync();
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var terms = new RewardTerms(1, 500, "CNY", 30);
        var first = VoucherStore.Request(campaignId, tenantId, "alice", terms, new RewardLimits(1, 0, 0));
        var second = VoucherStore.Request(campaignId, tenantId, "bob", terms, new RewardLimits(1, 0, 0));

        await harness.Bus.Publish(first);
        Assert.True(await harness.Published.Any<RewardIssued>(m => m.Context.Message.ScanId == first.ScanId));
        await harness.Bus.Publish(second);

        Assert.True(await harness.Published.Any<RewardDenied>(m => m.Context.Message.ScanId == second.ScanId
            && m.Context.Message.Reason == RewardDenialReason.BudgetExhausted));
        Assert.True(await harness.Published.Any<ScanResolved>(m => m.Context.Message.ScanId == second.ScanId
            && m.Context.Message.Outcome == ScanOutcome.BudgetExhausted));
        await harness.Stop();
    }

    [Fact]
    public async Task A_red_envelope_request_crosses_the_bus_and_issues_an_envelope_of_the_pool()
    {
        var harness = await StartAsync();
        var (campaignId, tenantId) = (Guid.NewGuid(), Guid.NewGuid());
        var terms = new RewardTerms(3, 0, "CNY", 7, PoolCents: 300);
        var requests = Enumerable.Range(0, 4).Select(i => VoucherStore.Request(campaignId, tenantId, $"user-{i}", terms, new RewardLimits(1, 0, 0))).ToList();

        foreach (var request in requests) await harness.Bus.Publish(request);

        Assert.True(await harness.Published.Any<RewardDenied>(m => m.Context.Message.CampaignId == campaignId));
        var issued = harness.Published.Select<RewardIssued>().Select(m => m.Context.Message).Where(m => m.CampaignId == campaignId).ToList();
        Assert.Equal(3, issued.Count);
        Assert.Equal(300, issued.Sum(m => m.Reward.ValueCents));
        Assert.Equal(300, await store.ScalarAsync("SELECT pool_cents FROM voucher_campaigns WHERE campaign_id = $1", campaignId));
        await harness.Stop();
    }
}
