using System.Text.Json;
using ArFleet.ServiceDefaults;

namespace ArFleet.IsvWebhook;

/// <summary>The body of every delivery (docs/api.md): <c>{"type", "timestamp", "data"}</c>.</summary>
public static class WebhookEnvelope
{
    public static string Serialize(string type, DateTimeOffset timestamp, object data) =>
        JsonSerializer.Serialize(new { type, timestamp, data }, ServiceDefaultsExtensions.ApiJson);
}
