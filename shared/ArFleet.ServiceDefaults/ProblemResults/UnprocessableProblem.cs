using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace ArFleet.ServiceDefaults;

/// <summary>422: the request conflicts with an earlier one (an Idempotency-Key reused with another request).</summary>
public sealed class UnprocessableProblem : ProblemResult, IEndpointMetadataProvider
{
    internal UnprocessableProblem(IResult problem) : base(problem, StatusCodes.Status422UnprocessableEntity) { }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        Declare(builder, StatusCodes.Status422UnprocessableEntity, typeof(ProblemDetails));
}
