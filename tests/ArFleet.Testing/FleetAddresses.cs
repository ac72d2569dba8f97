using System.Text.Json.Nodes;

namespace ArFleet.Testing;

/// <summary>Where a fleet's public APIs answer, and its admin key: a test fleet's, or the one <c>./arfleet up</c> runs
/// (its <c>.arfleet/endpoints.json</c>).</summary>
public sealed record FleetAddresses(Uri Ingest, Uri Campaigns, Uri Vouchers, Uri Webhooks, string AdminKey)
{
    public static FleetAddresses FromEndpointsFile(string path)
    {
        var endpoints = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path} is empty");
        string Value(string name) => (string?)endpoints[name] ?? throw new InvalidDataException($"{path} has no \"{name}\": ./arfleet up writes it");
        return new(new Uri(Value("ingest")), new Uri(Value("campaigns")), new Uri(Value("vouchers")), new Uri(Value("webhooks")), Value("adminKey"));
    }

    /// <summary>The public APIs, for a tool that must only ever talk to this machine.</summary>
    public IEnumerable<Uri> All => [Ingest, Campaigns, Vouchers, Webhooks];
}
