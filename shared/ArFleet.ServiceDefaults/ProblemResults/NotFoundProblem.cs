using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace ArFleet.ServiceDefaults;

/// <summary>404: the resource does not exist, or belongs to another tenant.</summary>
public sealed class NotFoundProblem : ProblemResult, IEndpointMetadataProvider
{
    internal NotFoundProblem(IResult problem) : base(problem, StatusCodes.Status404NotFound) { }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Declare(builder, StatusCodes.Status404NotFound, typeof(ProblemDetails));
}
