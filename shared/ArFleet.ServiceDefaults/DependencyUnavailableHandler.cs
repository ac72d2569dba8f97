using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ArFleet.ServiceDefaults;

/// <summary>A request that fails because a dependency is down (database, cache, broker) answers 503 problem details with
/// Retry-After at once, never a 500: the client should simply try again shortly.</summary>
public sealed class DependencyUnavailableHandler(IProblemDetailsService problems, ILogger<DependencyUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!TransientFaults.IsTransient(exception) || httpContext.Response.HasStarted) return false;
        logger.LogWarning("{Method} {Path} refused, a dependency is unavailable: {Error}", httpContext.Request.Method, httpContext.Request.Path,
            exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "A service this request needs is unavailable; try again shortly",
            },
        });
    }
}
