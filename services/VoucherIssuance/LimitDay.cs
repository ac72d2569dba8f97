using ArFleet.Contracts;

namespace ArFleet.VoucherIssuance;

public static class LimitDay
{
    /// <summary>When the scan's day began for the per-day limit: campaign-rules sends local midnight of the
    /// campaign's time zone; without it, the UTC day.</summary>
    public static DateTimeOffset DayStart(this RewardLimits limits, DateTimeOffset now) =>
        limits.DayStartsAt ?? new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
}
