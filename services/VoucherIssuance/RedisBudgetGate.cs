using ArFleet.Contracts;
using StackExchange.Redis;

namespace ArFleet.VoucherIssuance;

/// <summary>The fast path: one Lua script decides idempotency, limits and budget together, so a user scanning
/// fifty times at once is counted once per decision. Keys share the {campaignId} hash tag so the script's keys
/// live on one Redis Cluster slot. PostgreSQL (VoucherLedger) has the final word; this gate turns away the flood.</summary>
public sealed class RedisBudgetGate(IConnectionMultiplexer redis)
{
    public abstract record Verdict
    {
        public sealed record Issue(string Code) : Verdict;
        public sealed record Deny(RewardDenialReason Reason) : Verdict;
        /// <summary>The campaign's counters are missing (first use, or Redis lost its data): seed them first.</summary>
        public sealed record Unseeded : Verdict;
    }

    private static readonly TimeSpan DecisionLifetime = TimeSpan.FromDays(30);

    private const string IssueScript = """
        local prior = redis.call('GET', KEYS[1])
        if prior then return prior end
        if redis.call('EXISTS', KEYS[6]) == 0 then return 'unseeded' end
        local function reached(key, limit)
          limit = tonumber(limit)
          return limit > 0 and tonumber(redis.call('GET', key) or '0') >= limit
        end
        local verdict
        if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[1]) then
          verdict = 'deny:BudgetExhausted'
        elseif reached(KEYS[3], ARGV[2]) or reached(KEYS[4], ARGV[3]) or reached(KEYS[5], ARGV[4]) then
          verdict = 'deny:LimitReached'
        else
          redis.call('INCR', KEYS[2])
          redis.call('INCR', KEYS[3])
          redis.call('INCR', KEYS[4])
          redis.call('INCR', KEYS[5])
          redis.call('EXPIRE', KEYS[5], 172800)
          verdict = 'issue:' .. ARGV[5]
        end
        redis.call('SET', KEYS[1], verdict, 'EX', ARGV[6])
        return verdict
        """;

    public async Task<Verdict> TryIssueAsync(RewardRequested request, string candidateCode, DateTimeOffset now)
    {
        var c = Tag(request.CampaignId);
        var result = (string?)await redis.GetDatabase().ScriptEvaluateAsync(IssueScript,
            [
                $"{c}:scan:{request.ScanId:N}", $"{c}:issued", $"{c}:user:{request.UserId}", $"{c}:device:{request.DeviceId}",
                $"{c}:user-day:{request.UserId}:{now:yyyyMMdd}", $"{c}:seeded",
            ],
            [
                request.Terms.Budget, request.Limits.PerUser, request.Limits.PerDevice, request.Limits.PerUserPerDay,
                candidateCode, (long)DecisionLifetime.TotalSeconds,
            ]);
        return result switch
        {
            "unseeded" => new Verdict.Unseeded(),
            not null when result.StartsWith("issue:", StringComparison.Ordinal) => new Verdict.Issue(result["issue:".Length..]),
            not null when result.StartsWith("deny:", StringComparison.Ordinal) => new Verdict.Deny(Enum.Parse<RewardDenialReason>(result["deny:".Length..])),
            _ => throw new InvalidOperationException($"Unexpected budget script answer '{result}'"),
        };
    }

    /// <summary>Seeds the issued counter from the ledger's count, unless another instance seeded it already.</summary>
    public async Task SeedAsync(Guid campaignId, long issued)
    {
        var c = Tag(campaignId);
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists($"{c}:seeded"));
        _ = transaction.StringSetAsync($"{c}:issued", issued);
        _ = transaction.StringSetAsync($"{c}:seeded", 1);
        await transaction.ExecuteAsync();
    }

    /// <summary>Records what the ledger decided when it overruled the fast path.</summary>
    public async Task CorrectAsync(RewardRequested request, string verdict, long? issued)
    {
        var c = Tag(request.CampaignId);
        var db = redis.GetDatabase();
        await db.StringSetAsync($"{c}:scan:{request.ScanId:N}", verdict, DecisionLifetime);
        if (issued is not null) await db.StringSetAsync($"{c}:issued", issued);
    }

    private static string Tag(Guid campaignId) => $"vouchers:{{{campaignId:N}}}";
}
