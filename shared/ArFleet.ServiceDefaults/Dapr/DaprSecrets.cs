using System.Net.Http.Json;
using System.Text.Json;

namespace ArFleet.ServiceDefaults;

/// <summary>Reads one secret through the sidecar's HTTP secrets API (GET /v1.0/secrets/{store}/{name}, answered with
/// the secret's keys and values). The Dapr .NET client reads secrets over gRPC only; this is the documented HTTP route
/// the sidecar serves beside it, so start-up needs no gRPC channel.</summary>
public sealed class DaprSecrets(HttpClient http)
{
    public async Task<IReadOnlyDictionary<string, string>> GetAsync(string store, string name, CancellationToken cancellationToken)
    {
        var path = $"v1.0/secrets/{Uri.EscapeDataString(store)}/{Uri.EscapeDataString(name)}";
        using var response = await http.GetAsync(path, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException(
                $"The Dapr sidecar answered {(int)response.StatusCode} for secret '{name}' of store '{store}': " +
                await response.Content.ReadAsStringAsync(cancellationToken));
        var values = await response.Content.ReadFromJsonAsync<Dictionary<string, JsonElement>>(cancellationToken)
            ?? throw new InvalidOperationException($"The Dapr sidecar answered no secret '{name}' of store '{store}'.");
        return values.ToDictionary(v => v.Key, v => v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString()! : v.Value.GetRawText());
    }

    /// <summary>A secret's keys as configuration keys: ConnectionStrings__postgres is ConnectionStrings:postgres.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> AsConfiguration(IReadOnlyDictionary<string, string> secret) =>
        secret.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":"), (string?)s.Value));
}
