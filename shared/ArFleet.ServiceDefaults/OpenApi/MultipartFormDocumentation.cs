using Microsoft.AspNetCore.Builder;
using Microsoft.OpenApi;

namespace ArFleet.ServiceDefaults;

/// <summary>A field of a multipart upload that a handler reads itself (ImageUploads), for the OpenAPI document.</summary>
public sealed record FormField(string Name, string Description, bool Required = true, JsonSchemaType Type = JsonSchemaType.String, bool IsFile = false);

/// <summary>Declares the multipart/form-data body of a route that reads its form by hand. Declaring it with
/// <c>Accepts</c> would also make routing refuse other content types with 415, where the handler answers 400 problem
/// details (docs/api.md), so only the document says it.</summary>
public static class MultipartFormDocumentation
{
    public static RouteHandlerBuilder DocumentsMultipartForm(this RouteHandlerBuilder builder, params FormField[] fields) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            var schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = fields.ToDictionary(f => f.Name, f => (IOpenApiSchema)new OpenApiSchema
                {
                    Type = f.Type,
                    Format = f.IsFile ? "binary" : null,
                    Description = f.Description,
                }),
                Required = fields.Where(f => f.Required).Select(f => f.Name).ToHashSet(),
            };
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { ["multipart/form-data"] = new() { Schema = schema } },
            };
            return Task.CompletedTask;
        });
}
