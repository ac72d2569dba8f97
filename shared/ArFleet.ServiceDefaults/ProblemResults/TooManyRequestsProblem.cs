using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace ArFleet.ServiceDefaults;

/// <summary>429, with Retry-After: too many requests of this kind; try again later.</summary>
public sealed class TooManyRequestsProblem : ProblemResult, IEndpointMetadataProvider
{
    internal TooManyRequestsProblem(IResult problem) : base(problem, StatusCodes.Status429TooManyRequests) { }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        Declare(builder, StatusCodes.Status429TooManyRequests, typeof(ProblemDetails));
}
