using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace ArFleet.ServiceDefaults;

/// <summary>400: the request is malformed, or a field is invalid (then named in <c>errors</c> and the title).</summary>
public sealed class BadRequestProblem : ProblemResult, IEndpointMetadataProvider
{
    internal BadRequestProblem(IResult problem) : base(problem, StatusCodes.Status400BadRequest) { }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        Declare(builder, StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails));
}
