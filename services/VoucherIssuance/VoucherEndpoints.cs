using ArFleet.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ArFleet.VoucherIssuance;

public static class VoucherEndpoints
{
    public record VoucherView(
        string Code, Guid CampaignId, Guid ScanId, string UserId, string Status, long ValueCents, string Currency,
        DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RedeemedAt);

    public static void MapVoucherEndpoints(this WebApplication app)
    {
        var vouchers = app.MapGroup("/v1/vouchers").WithTags("Vouchers").RequireRateLimiting(ApiRateLimits.PerKey).RequireAuthorization(ApiPolicies.Brand);

        vouchers.MapGet("/{code}", GetAsync).WithSummary("Look up one of the brand's vouchers by its code");
        vouchers.MapGet("/campaigns/{campaignId:guid}/reconciliation", ReconcileAsync)
            .WithSummary("Redis against the ledger for one of the brand's campaigns, per budget bucket");
        vouchers.MapPost("/{code}/redeem", RedeemAsync).WithSummary("Redeem a voucher, once, before it expires");
    }

    private static async Task<Results<Ok<VoucherView>, NotFoundProblem>> GetAsync(string code, HttpContext http, VoucherLedger ledger,
        TimeProvider clock, CancellationToken ct)
    {
        var voucher = await FindOwnAsync(code, http, ledger, ct);
        return voucher is null ? Problems.NotFound("Voucher") : TypedResults.Ok(View(voucher, clock.GetUtcNow()));
    }

    /// <summary>What the background check logs, for one campaign.</summary>
    private static async Task<Results<Ok<Reconciliation.Report>, NotFoundProblem>> ReconcileAsync(Guid campaignId, HttpContext http,
        Reconciliation reconciliation, CancellationToken ct) =>
        await reconciliation.CheckAsync(campaignId, ct) is { } report && report.TenantId == http.User.TenantId()
            ? TypedResults.Ok(report)
            : Problems.NotFound("Campaign");

    private static async Task<Results<Ok<VoucherView>, NotFoundProblem, ConflictProblem>> RedeemAsync(string code, HttpContext http,
        VoucherLedger ledger, TimeProvider clock, CancellationToken ct)
    {
        var voucher = await FindOwnAsync(code, http, ledger, ct);
        if (voucher is null) return Problems.NotFound("Voucher");
        var now = clock.GetUtcNow();
        if (await ledger.RedeemAsync(http.User.TenantId(), voucher.Code, now, ct) is { } redeemed) return TypedResults.Ok(View(redeemed, now));
        var current = await ledger.GetAsync(voucher.Code, ct) ?? voucher;
        return current.RedeemedAt is not null
            ? Problems.Conflict("The voucher was already redeemed", $"Redeemed at {current.RedeemedAt:O}.")
            : Problems.Conflict("The voucher has expired", $"It expired at {current.ExpiresAt:O}.");
    }

    /// <summary>A code with a wrong check character is answered like an unknown one, without a database read.</summary>
    private static async Task<Voucher?> FindOwnAsync(string code, HttpContext http, VoucherLedger ledger, CancellationToken ct)
    {
        var normalized = VoucherCode.Normalize(code);
        if (!VoucherCode.IsValid(normalized)) return null;
        var voucher = await ledger.GetAsync(normalized, ct);
        return voucher?.TenantId == http.User.TenantId() ? voucher : null;
    }

    private static VoucherView View(Voucher v, DateTimeOffset now) =>
        new(v.Code, v.CampaignId, v.ScanId, v.UserId, v.Status(now), v.ValueCents, v.Currency, v.IssuedAt, v.ExpiresAt, v.RedeemedAt);
}
