using Microsoft.Extensions.DependencyInjection;

namespace ArFleet.ServiceDefaults;

/// <summary>The OpenAPI document every service serves at /openapi/v1.json: the routes with the answers their typed
/// results declare, plus the API key scheme, the answers every route shares (401, 403, 429, 503) and the JSON conventions.</summary>
public static class ArFleetOpenApi
{
    public static IServiceCollection AddArFleetOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer<ApiKeySecuritySchemeTransformer>();
            options.AddOperationTransformer<SharedProblemsTransformer>();
            options.AddSchemaTransformer<NullsLeftOutSchemaTransformer>();
        });
}
