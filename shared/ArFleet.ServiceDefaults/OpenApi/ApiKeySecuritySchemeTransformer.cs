using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ArFleet.ServiceDefaults;

/// <summary>Declares the API key scheme of ApiKeyAuthentication (the key as a bearer token in the Authorization header)
/// in a document whose operations require it (SharedProblemsTransformer marks them), and the ProblemDetails schema
/// that the shared 401, 403, 429 and 503 answers refer to. Runs after the operation transformers.</summary>
public sealed class ApiKeySecuritySchemeTransformer : IOpenApiDocumentTransformer
{
    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var operations = document.Paths.Values.SelectMany(path => path.Operations?.Values.AsEnumerable() ?? []).ToList();
        if (operations.Count == 0) return;
        document.Components ??= new OpenApiComponents();
        if (operations.Any(operation => operation.Security is { Count: > 0 }))
        {
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[ApiKeyAuthentication.Scheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "API key",
                Description = "A tenant's API key (brand, isv or app) or the admin key, sent as 'Authorization: Bearer <key>'.",
            };
        }
        // A document whose own routes declare no problem type would otherwise lack the schema.
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(nameof(ProblemDetails)))
            document.Components.Schemas[nameof(ProblemDetails)] = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken);
    }
}
