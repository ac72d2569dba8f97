namespace ArFleet.VoucherIssuance;

public static class VoucherRegistration
{
    public static IHostApplicationBuilder AddVoucherIssuing(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<VoucherOptions>(builder.Configuration.GetSection("Vouchers"));
        builder.Services.AddSingleton<RedisBudgetGate>().AddSingleton<VoucherLedger>().AddSingleton<GroupCommit>().AddSingleton<VoucherIssuer>()
            .AddSingleton<Reconciliation>().AddSingleton<VoucherMetrics>();
        builder.Services.AddHostedService<ReconciliationService>().AddHostedService<BudgetSampler>();
        return builder;
    }
}
