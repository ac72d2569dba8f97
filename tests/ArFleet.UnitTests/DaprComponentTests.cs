using System.Text.RegularExpressions;
using ArFleet.ServiceDefaults;
using ArFleet.Testing;
using YamlDotNet.RepresentationModel;

namespace ArFleet.UnitTests;

/// <summary>deploy/dapr's resources. No registry this project can use serves Dapr's CRD schemas (npm's kubernetes-models
/// family has no Dapr package, and NuGet none), so the fields Dapr's Component, Configuration and Resiliency
/// definitions require are checked here, and the names they share with the code (app ids, the key lookup's path, the
/// services that look keys up) are checked against the code and deploy/topology.tsv.</summary>
public partial class DaprComponentTests
{
    private static readonly string Directory = Path.Combine(ServiceProcess.RepositoryRoot(), "deploy", "dapr");
    private static readonly HashSet<string> Services = [.. Topology.Services.Select(s => s.Name)];

    /// <summary>The services whose Program.cs looks keys up at campaign-rules: the callers the sidecars must let through.</summary>
    private static readonly string[] KeyLookupCallers = [.. Topology.Services
        .Where(s => File.ReadAllText(Path.Combine(ServiceProcess.RepositoryRoot(), "services", s.Project,
            "Program.cs")).Contains("AddApiKeyAuthenticationFromCampaignRules"))
        .Select(s => s.Name).Order()];

    // kustomization.yaml lists them for the Dapr overlay; it is not a Dapr resource.
    public static TheoryData<string> Files() =>
        [.. System.IO.Directory.GetFiles(Directory, "*.yaml").Select(f => Path.GetFileName(f)).Where(f => f != "kustomization.yaml").Order()];

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_resource_is_a_named_Dapr_resource(string file)
    {
        var resource = Load(file);
        Assert.Equal("dapr.io/v1alpha1", Scalar(resource, "apiVersion"));
        Assert.Contains(Scalar(resource, "kind"), new[] { "Component", "Configuration", "Resiliency" });
        Assert.Matches(DnsName(), Scalar(Mapping(resource, "metadata"), "name"));
        Assert.IsType<YamlMappingNode>(resource["spec"]);
        if (resource.Children.ContainsKey("scopes")) Assert.Subset(Services, Strings(resource, "scopes").ToHashSet());
    }

    [Fact]
    public void The_secret_store_is_a_Kubernetes_secret_store_for_the_services_that_have_settings()
    {
        var store = Load("secretstore.yaml");
        Assert.Equal("Component", Scalar(store, "kind"));
        var spec = Mapping(store, "spec");
        Assert.Equal("secretstores.kubernetes", Scalar(spec, "type"));
        Assert.Matches("^v[0-9]+$", Scalar(spec, "version"));
        Assert.All((YamlSequenceNode)spec["metadata"], m =>
        {
            var item = (YamlMappingNode)m;
            Assert.False(string.IsNullOrEmpty(Scalar(item, "name")));
            Assert.True(item.Children.ContainsKey("value") ^ item.Children.ContainsKey("secretKeyRef"), "each metadata item has a value or a secretKeyRef");
        });
        // Every service with a server connection string reads its settings from the store.
        Assert.Equal(Topology.Services.Where(s => s.Servers.Count > 0).Select(s => s.Name).Order(), Strings(store, "scopes").Order());
    }

    [Fact]
    public void Sidecars_use_mTLS_and_let_only_the_key_lookup_through_from_the_services_that_look_keys_up()
    {
        var spec = Mapping(Load("configuration.yaml"), "spec");
        Assert.Equal("true", Scalar(Mapping(spec, "mtls"), "enabled"));
        var access = Mapping(spec, "accessControl");
        Assert.Equal("deny", Scalar(access, "defaultAction"));
        var policies = ((YamlSequenceNode)access["policies"]).Cast<YamlMappingNode>().ToList();
        Assert.NotEmpty(KeyLookupCallers);
        Assert.Equal(KeyLookupCallers, policies.Select(p => Scalar(p, "appId")).Order());
        Assert.All(policies, p =>
        {
            Assert.Equal("deny", Scalar(p, "defaultAction"));
            Assert.Equal(Scalar(access, "trustDomain"), Scalar(p, "trustDomain"));
            Assert.Matches(DnsName(), Scalar(p, "namespace"));
            var operation = Assert.Single(((YamlSequenceNode)p["operations"]).Cast<YamlMappingNode>());
            Assert.Equal(CampaignRulesKeyClient.WhoIsPath, Scalar(operation, "name"));
            Assert.Equal(["GET"], Strings(operation, "httpVerb"));
            Assert.Equal("allow", Scalar(operation, "action"));
        });
        var secretScopes = ((YamlSequenceNode)Mapping(spec, "secrets")["scopes"]).Cast<YamlMappingNode>();
        Assert.Contains(secretScopes, s => Scalar(s, "storeName") == "kubernetes" && Scalar(s, "defaultAccess") == "deny");
    }

    [Fact]
    public void The_key_lookup_has_a_timeout_retries_and_a_circuit_breaker_on_the_calling_sidecars()
    {
        var resiliency = Load("resiliency.yaml");
        var spec = Mapping(resiliency, "spec");
        var policies = Mapping(spec, "policies");
        var target = Mapping(Mapping(Mapping(spec, "targets"), "apps"), new DaprOptions().CampaignRulesAppId);
        Assert.Contains(new DaprOptions().CampaignRulesAppId, Services);
        foreach (var (kind, section) in new[] { ("timeout", "timeouts"), ("retry", "retries"), ("circuitBreaker", "circuitBreakers") })
            Assert.True(Mapping(policies, section).Children.ContainsKey(Scalar(target, kind)), $"{kind} policy {Scalar(target, kind)} is defined");
        Assert.Matches(Duration(), Scalar(Mapping(policies, "timeouts"), Scalar(target, "timeout")));
        var retry = Mapping(Mapping(policies, "retries"), Scalar(target, "retry"));
        Assert.Contains(Scalar(retry, "policy"), new[] { "constant", "exponential" });
        Assert.Matches("^[0-9]+$", Scalar(retry, "maxRetries"));
        Assert.Matches(@"^(consecutiveFailures|requests|totalFailures)\s*(>=|>|==)\s*[0-9]+$", Scalar(Mapping(Mapping(policies, "circuitBreakers"),
            Scalar(target, "circuitBreaker")), "trip"));
        Assert.Equal(KeyLookupCallers, Strings(resiliency, "scopes").Order());
    }

    private static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Directory, file));
        stream.Load(reader);
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static YamlMappingNode Mapping(YamlMappingNode node, string key) => Assert.IsType<YamlMappingNode>(node[key]);
    private static string Scalar(YamlMappingNode node, string key) => Assert.IsType<YamlScalarNode>(node[key]).Value!;
    private static IEnumerable<string> Strings(YamlMappingNode node, string key) => ((YamlSequenceNode)node[key]).Select(n => ((YamlScalarNode)n).Value!);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsName();

    [GeneratedRegex("^[0-9]+(ms|s|m|h)$")]
    private static partial Regex Duration();
}
