using System.Reflection;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ArFleet.ServiceDefaults;

/// <summary>The JSON leaves null fields out (ServiceDefaultsExtensions.ConfigureJson), so a nullable property is not
/// required: a scan still processing has no <c>outcome</c> at all. The generator marks every constructor parameter of a
/// record required, which would make such bodies fail the schema.</summary>
public sealed class NullsLeftOutSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Required is not { Count: > 0 } required || context.JsonTypeInfo.Kind != JsonTypeInfoKind.Object) return Task.CompletedTask;
        var nullability = new NullabilityInfoContext();
        foreach (var property in context.JsonTypeInfo.Properties)
            if (IsNullable(property, nullability)) required.Remove(property.Name);
        return Task.CompletedTask;
    }

    private static bool IsNullable(JsonPropertyInfo property, NullabilityInfoContext nullability) =>
        property.PropertyType.IsValueType
            ? Nullable.GetUnderlyingType(property.PropertyType) is not null
            : property.AttributeProvider is PropertyInfo info && nullability.Create(info).ReadState != NullabilityState.NotNull;
}
