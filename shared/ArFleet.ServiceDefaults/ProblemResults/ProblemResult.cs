using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ArFleet.ServiceDefaults;

/// <summary>A problem-details answer whose status code its type names, so that a handler returning
/// <c>Results&lt;Ok&lt;T&gt;, NotFoundProblem, ...&gt;</c> declares it in the OpenAPI document. The answer is written by
/// the wrapped Results.Problem, as before: application/problem+json through the problem details service (with its
/// traceId), which <c>TypedResults.NotFound(problemDetails)</c> would not do. Made only by <see cref="Problems"/>.</summary>
public abstract class ProblemResult : IResult, IStatusCodeHttpResult
{
    public const string ContentType = "application/problem+json";

    private readonly IResult problem;

    private protected ProblemResult(IResult problem, int statusCode)
    {
        this.problem = problem;
        StatusCode = statusCode;
    }

    public int? StatusCode { get; }

    public Task ExecuteAsync(HttpContext httpContext) => problem.ExecuteAsync(httpContext);

    private protected static void Declare(EndpointBuilder builder, int statusCode, Type problemType) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(statusCode, problemType, [ContentType]));
}
