using Microsoft.Extensions.Configuration;

namespace ArFleet.ServiceDefaults;

/// <summary>Dapr mode (section "Dapr"), off by default: with a Dapr sidecar beside the service, key lookups go to
/// campaign-rules through the sidecar's service invocation (mTLS, retries and access control from the sidecar), and
/// connection strings come from a Dapr secret store. Without it the service runs exactly as before.</summary>
public sealed class DaprOptions
{
    public const string Section = "Dapr";

    public bool Enabled { get; set; }

    /// <summary>The sidecar's HTTP API; by default DAPR_HTTP_ENDPOINT, or 127.0.0.1 on DAPR_HTTP_PORT (3500), as the
    /// sidecar injector sets them.</summary>
    public string? HttpEndpoint { get; set; }

    /// <summary>Dapr app id of campaign-rules, the owner of the API keys.</summary>
    public string CampaignRulesAppId { get; set; } = "campaign-rules";

    /// <summary>The secret store component (deploy/dapr/secretstore.yaml); none: configuration as usual.</summary>
    public string? SecretStore { get; set; }

    /// <summary>The secret in that store whose keys are configuration keys, with __ between sections as in
    /// environment variables (ConnectionStrings__postgres, ARFLEET_ADMIN_KEY).</summary>
    public string? Secret { get; set; }

    /// <summary>How long start-up waits for the sidecar before reading the secret store.</summary>
    public TimeSpan SidecarTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public static DaprOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<DaprOptions>() ?? new DaprOptions();

    public Uri SidecarAddress(IConfiguration configuration) => new(
        HttpEndpoint ?? configuration["DAPR_HTTP_ENDPOINT"] ?? $"http://127.0.0.1:{configuration["DAPR_HTTP_PORT"] ?? "3500"}");

    /// <summary>The sidecar's API token where it has one (the injector sets DAPR_API_TOKEN), sent as dapr-api-token.</summary>
    public static string? ApiToken(IConfiguration configuration) => configuration["DAPR_API_TOKEN"] is { Length: > 0 } token ? token : null;
}
