using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace ArFleet.ServiceDefaults;

/// <summary>The answers that come from the pipeline rather than the handler, read from each route's metadata:
/// a route that requires authorization needs the API key (401 without a valid one, 403 for a key of another kind);
/// one with a rate limit answers 429; any route answers 503 while a dependency is down (DependencyUnavailableHandler).
/// All are problem details.</summary>
public sealed class SharedProblemsTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.Responses ??= [];
        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthentication.Scheme, context.Document)] = [],
            });
            Add(operation, context, StatusCodes.Status401Unauthorized, "Missing or invalid API key");
            Add(operation, context, StatusCodes.Status403Forbidden, "A key of a tenant kind that may not do this");
        }
        if (metadata.OfType<EnableRateLimitingAttribute>().Any())
            Add(operation, context, StatusCodes.Status429TooManyRequests, "The API key sent more than its share; see Retry-After");
        Add(operation, context, StatusCodes.Status503ServiceUnavailable, "A service this request needs is unavailable; see Retry-After");
        return Task.CompletedTask;
    }

    private static void Add(OpenApiOperation operation, OpenApiOperationTransformerContext context, int status, string description) =>
        operation.Responses!.TryAdd(status.ToString(), new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemResult.ContentType] = new() { Schema = new OpenApiSchemaReference(nameof(ProblemDetails), context.Document) },
            },
        });
}
