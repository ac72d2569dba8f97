using ArFleet.Contracts;
using StackExchange.Redis;

namespace ArFleet.VoucherIssuance;

/// <summary>The fast path: per bucket, one Lua script decides idempotency, limits and budget together. A bucket's
/// keys share the hash tag {campaignId:bucket}, so each bucket lives on one Redis Cluster slot and buckets spread
/// over the cluster. The ledger (VoucherLedger) has the final word; this gate turns away the flood. Its stock is
/// a hint that may be off either way (the ledger corrects it); its denials stand: "exhausted" is set only after the
/// ledger found the whole budget gone, limit counters count only issued vouchers and reservations in flight (a
/// reservation the ledger refuses is given back), and after a data loss the ledger decides every denial.</summary>
public sealed class RedisBudgetGate(IConnectionMultiplexer redis)
{
    public abstract record Verdict
    {
        /// <summary>Stock was reserved and the user counted (or, when Repeat, this scan was decided before).</summary>
        public sealed record Issue(string Code, bool Repeat) : Verdict;
        /// <summary>CheckLedger: the bucket was rebuilt from a ledger that already held vouchers, so this scan, unknown to
        /// Redis now, may have been issued before the data loss; a redelivery must still get its voucher.</summary>
        public sealed record Deny(RewardDenialReason Reason, bool Repeat, bool CheckLedger = false) : Verdict;
        /// <summary>The bucket's counters are missing (first use, or Redis lost its data): seed them from the ledger.</summary>
        public sealed record Unseeded : Verdict;
        /// <summary>Limits allow it but this bucket's stock is gone: only the ledger can say whether other buckets have some.</summary>
        public sealed record BucketEmpty : Verdict;
    }

    /// <summary>A scan's verdict answers redeliveries: an issue (at most the budget's count of them) for as long as a
    /// message could be replayed from an error queue; a denial, of which a festival makes millions, for a day.</summary>
    public static readonly TimeSpan IssueLifetime = TimeSpan.FromDays(30);
    public static readonly TimeSpan DenialLifetime = TimeSpan.FromDays(1);

    // KEYS: scan, stock, user, device, user-day, seeded, exhausted.
    // ARGV: perUser, perDevice, perUserPerDay, code, issue verdict ttl, denial verdict ttl.
    /// <summary>Public so that the benchmark can run the very same script through redis-benchmark.</summary>
    public const string IssueScript = """
        local prior = redis.call('GET', KEYS[1])
        if prior then return 'prior:' .. prior end
        if redis.call('EXISTS', KEYS[6]) == 0 then return 'unseeded' end
        local function reached(key, limit)
          limit = tonumber(limit)
          return limit > 0 and tonumber(redis.call('GET', key) or '0') >= limit
        end
        local verdict
        if redis.call('EXISTS', KEYS[7]) == 1 then
          verdict = 'deny:BudgetExhausted'
        elseif reached(KEYS[3], ARGV[1]) or reached(KEYS[4], ARGV[2]) or reached(KEYS[5], ARGV[3]) then
          verdict = 'deny:LimitReached'
        elseif tonumber(redis.call('GET', KEYS[2]) or '0') <= 0 then
          return 'empty'
        else
          redis.call('DECR', KEYS[2])
          redis.call('INCR', KEYS[3])
          redis.call('INCR', KEYS[4])
          redis.call('INCR', KEYS[5])
          redis.call('EXPIRE', KEYS[5], 172800)
          verdict = 'issue:' .. ARGV[4]
        end
        -- After a data loss the ledger decides denials, and stores the verdict itself: until then every copy of the scan asks it.
        if verdict:sub(1, 5) == 'deny:' and redis.call('GET', KEYS[6]) == 'rebuilt' then return 'check:' .. verdict end
        redis.call('SET', KEYS[1], verdict, 'EX', verdict:sub(1, 6) == 'issue:' and ARGV[5] or ARGV[6])
        return verdict
        """;

    // Records the ledger's decision for the scan and applies the same change to counters and stock that the ledger
    // made, so that, between decisions, stock = the ledger's unissued quota - reservations in flight.
    // ARGV: verdict, ttl, counter change, stock change, the reservation being settled ('' for none). A reservation is
    // settled once: if the scan's verdict is no longer that reservation, another attempt settled it already.
    // Only on a seeded bucket: a flushed one is reseeded whole.
    private const string SettleScript = """
        if redis.call('EXISTS', KEYS[6]) == 0 then return 0 end
        if ARGV[5] ~= '' and redis.call('GET', KEYS[1]) ~= ARGV[5] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
        local change = tonumber(ARGV[3])
        if change ~= 0 then
          redis.call('INCRBY', KEYS[3], change)
          redis.call('INCRBY', KEYS[4], change)
          redis.call('INCRBY', KEYS[5], change)
          redis.call('EXPIRE', KEYS[5], 172800)
        end
        if tonumber(ARGV[4]) ~= 0 then redis.call('INCRBY', KEYS[2], ARGV[4]) end
        return 1
        """;

    private const string AdjustStockScript = """
        if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
        return redis.call('INCRBY', KEYS[1], ARGV[1])
        """;

    public async Task<Verdict> TryIssueAsync(BudgetLayout layout, int bucket, RewardRequested request, string candidateCode, DateTimeOffset now)
    {
        var result = (string?)await redis.GetDatabase().ScriptEvaluateAsync(IssueScript, Keys(layout.CampaignId, bucket, request, now),
            [request.Limits.PerUser, request.Limits.PerDevice, request.Limits.PerUserPerDay, candidateCode,
                (long)IssueLifetime.TotalSeconds, (long)DenialLifetime.TotalSeconds]);
        return result switch
        {
            "unseeded" => new Verdict.Unseeded(),
            "empty" => new Verdict.BucketEmpty(),
            not null when result.StartsWith("check:", StringComparison.Ordinal) =>
                new Verdict.Deny(Enum.Parse<RewardDenialReason>(result["check:deny:".Length..]), Repeat: false, CheckLedger: true),
            not null when result.StartsWith("prior:", StringComparison.Ordinal) => Parse(result["prior:".Length..], repeat: true),
            not null => Parse(result, repeat: false),
            _ => throw new InvalidOperationException("The budget script gave no answer."),
        };
    }

    /// <summary>Stores the ledger's decision for the scan and brings the counters and stock in line with it.</summary>
    public async Task SettleAsync(BudgetLayout layout, int bucket, RewardRequested request, DateTimeOffset now,
        string verdict, int counterChange, long stockChange, string? reservedCode)
    {
        await redis.GetDatabase().ScriptEvaluateAsync(SettleScript, Keys(layout.CampaignId, bucket, request, now),
            [verdict, (long)(verdict.StartsWith("issue:", StringComparison.Ordinal) ? IssueLifetime : DenialLifetime).TotalSeconds, counterChange, stockChange,
                reservedCode is null ? "" : $"issue:{reservedCode}"]);
    }

    /// <summary>Seeds a bucket's stock from the ledger, unless another instance seeded it first. rebuilt: the ledger
    /// already held vouchers, whose scans Redis no longer knows.</summary>
    public async Task SeedAsync(Guid campaignId, int bucket, long stock, bool exhausted, bool rebuilt)
    {
        var k = Prefix(campaignId, bucket);
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists($"{k}:seeded"));
        _ = transaction.StringSetAsync($"{k}:stock", stock);
        if (exhausted) _ = transaction.StringSetAsync($"{k}:exhausted", 1);
        _ = transaction.StringSetAsync($"{k}:seeded", rebuilt ? "rebuilt" : "new");
        await transaction.ExecuteAsync();
    }

    public Task AdjustStockAsync(Guid campaignId, int bucket, long change) =>
        redis.GetDatabase().ScriptEvaluateAsync(AdjustStockScript, [$"{Prefix(campaignId, bucket)}:stock", $"{Prefix(campaignId, bucket)}:seeded"], [change]);

    /// <summary>Called only once the ledger found the whole budget issued: from then on every bucket denies in Redis.</summary>
    public async Task MarkExhaustedAsync(BudgetLayout layout)
    {
        var db = redis.GetDatabase();
        await Task.WhenAll(Enumerable.Range(0, layout.Buckets).Select(b => db.StringSetAsync($"{Prefix(layout.CampaignId, b)}:exhausted", 1)));
    }

    public record BucketView(int Bucket, bool Seeded, long Stock, bool Exhausted);

    public async Task<BucketView> ReadBucketAsync(Guid campaignId, int bucket)
    {
        var k = Prefix(campaignId, bucket);
        var values = await redis.GetDatabase().StringGetAsync([$"{k}:seeded", $"{k}:stock", $"{k}:exhausted"]);
        return new BucketView(bucket, values[0].HasValue, values[1].HasValue ? (long)values[1] : 0, values[2].HasValue);
    }

    private static Verdict Parse(string verdict, bool repeat) => verdict switch
    {
        _ when verdict.StartsWith("issue:", StringComparison.Ordinal) => new Verdict.Issue(verdict["issue:".Length..], repeat),
        _ when verdict.StartsWith("deny:", StringComparison.Ordinal) => new Verdict.Deny(Enum.Parse<RewardDenialReason>(verdict["deny:".Length..]), repeat),
        _ => throw new InvalidOperationException($"Unexpected budget script answer '{verdict}'"),
    };

    /// <summary>User and device counters are per app (LimitIdentity). Device counters live in the user's home bucket, so
    /// a device shared by users of several buckets is undercounted here; the ledger's check is exact.</summary>
    private static RedisKey[] Keys(Guid campaignId, int bucket, RewardRequested request, DateTimeOffset now)
    {
        var k = Prefix(campaignId, bucket);
        return [$"{k}:scan:{request.ScanId:N}", $"{k}:stock", $"{k}:user:{request.AppUser()}", $"{k}:device:{request.AppDevice()}",
            $"{k}:user-day:{request.AppUser()}:{request.Limits.DayStart(now).ToUnixTimeSeconds()}", $"{k}:seeded", $"{k}:exhausted"];
    }

    private static string Prefix(Guid campaignId, int bucket) => $"vouchers:{{{campaignId:N}:{bucket}}}";
}
