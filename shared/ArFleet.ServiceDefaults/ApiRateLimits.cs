using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace ArFleet.ServiceDefaults;

/// <summary>ArFleet:RateLimits:PerKey. Per instance: with N instances behind a balancer a key gets up to N times this.</summary>
public sealed class ApiKeyRateLimitOptions
{
    /// <summary>The burst a key may send at once.</summary>
    public int TokenLimit { get; set; } = 2000;
    /// <summary>The steady rate a key may keep up.</summary>
    public int TokensPerSecond { get; set; } = 1000;
}

/// <summary>A token bucket per API key on every route group (<see cref="PerKey"/>), so that one key cannot take a service
/// for itself whatever the user and device ids it states. Over it: 429 problem details with Retry-After.</summary>
public static class ApiRateLimits
{
    public const string PerKey = "perKey";

    public static IHostApplicationBuilder AddApiKeyRateLimits(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("ArFleet:RateLimits:PerKey").Get<ApiKeyRateLimitOptions>() ?? new ApiKeyRateLimitOptions();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PerKey, http => BearerKey(http.Request) is { } key
                ? RateLimitPartition.GetTokenBucketLimiter(KeyPartition(key), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.TokenLimit,
                    TokensPerPeriod = options.TokensPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                })
                : RateLimitPartition.GetNoLimiter(""));  // no key: authentication answers 401 anyway
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
                    detail: $"This API key sent more than {options.TokensPerSecond} requests a second (bursts up to {options.TokenLimit}); " +
                        "try again after Retry-After seconds.")
                    .ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }

    private static string? BearerKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7 ? header[7..].Trim() : null;
    }

    /// <summary>The key's hash, so that keys are not held in memory as partition names.</summary>
    private static string KeyPartition(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
