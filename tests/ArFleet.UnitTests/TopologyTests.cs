using ArFleet.Testing;
using YamlDotNet.RepresentationModel;

namespace ArFleet.UnitTests;

/// <summary>docker-compose.yml and deploy/k8s/arfleet.yaml against deploy/topology.tsv, the fleet's one description
/// (./arfleet and the test fleet read it directly): a service added, renamed or given another server in one place only
/// fails here.</summary>
public class TopologyTests
{
    private static readonly string Root = ServiceProcess.RepositoryRoot();
    private static readonly string[] Servers = ["rabbitmq", "redis", "postgres"];

    [Fact]
    public void Topology_names_every_service_project_once()
    {
        var services = Topology.Services;
        Assert.Equal(services.Count, services.Select(s => s.Name).Distinct().Count());
        Assert.Equal(services.Count, services.Select(s => s.Port).Distinct().Count());
        Assert.Equal(services.Count, services.Select(s => s.Endpoint).Distinct().Count());
        foreach (var service in services)
        {
            Assert.True(File.Exists(Path.Combine(Root, "services", service.Project, $"ArFleet.{service.Project}.csproj")), service.Project);
            Assert.All(service.Servers, server => Assert.Contains(server, Servers));
        }
        var projects = Directory.GetFiles(Path.Combine(Root, "services"), "Program.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(p => Path.GetFileName(Path.GetDirectoryName(p)!));
        Assert.Equal(projects.Order(), services.Select(s => s.Project).Order());
    }

    [Fact]
    public void Compose_runs_the_topology()
    {
        var compose = (YamlMappingNode)Load("docker-compose.yml").Single().RootNode;
        var services = Mapping(compose, "services");
        Assert.Equal(Servers.Concat(Topology.Services.Select(s => s.Name)).Order(), Keys(services).Order());
        foreach (var service in Topology.Services)
        {
            var entry = Mapping(services, service.Name);
            Assert.Equal(service.Project, Scalar(Mapping(Mapping(entry, "build"), "args"), "SERVICE"));
            var ports = Sequence(entry, "ports").Select(p => ((YamlScalarNode)p).Value!).ToList();
            Assert.Contains(ports, p => p == $"{service.Port}:8080" || p.EndsWith($":{service.Port}:8080", StringComparison.Ordinal));
            var environment = Mapping(entry, "environment");
            AssertConnectionStrings(service, Keys(environment), key => Scalar(environment, key));
            if (service.Servers.Count > 0) Assert.Subset(Keys(Mapping(entry, "depends_on")).ToHashSet(), service.Servers.ToHashSet());
        }
    }

    [Fact]
    public void Kubernetes_runs_the_topology()
    {
        var documents = Load(Path.Combine("deploy", "k8s", "arfleet.yaml")).Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
        IEnumerable<YamlMappingNode> Kind(string kind) => documents.Where(d => Scalar(d, "kind") == kind);
        string Name(YamlMappingNode document) => Scalar(Mapping(document, "metadata"), "name");

        Assert.Equal(Topology.Services.Select(s => s.Name).Order(), Kind("Deployment").Select(Name).Order());
        Assert.Equal(Topology.Services.Select(s => s.Name).Order(), Kind("Service").Select(Name).Order());
        foreach (var service in Topology.Services)
        {
            var deployment = Kind("Deployment").Single(d => Name(d) == service.Name);
            var container = (YamlMappingNode)Sequence(Mapping(Mapping(Mapping(deployment, "spec"), "template"), "spec"), "containers").Single();
            Assert.Contains($"arfleet-{service.Name}:", Scalar(container, "image"));
            var environment = Sequence(container, "env").Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name"));
            AssertConnectionStrings(service, environment.Keys,
                key => environment[key].Children.ContainsKey("value") ? Scalar(environment[key], "value") : "");
        }
        foreach (var scaled in Kind("ScaledObject"))
            Assert.Contains(Scalar(Mapping(Mapping(scaled, "spec"), "scaleTargetRef"), "name"), Topology.Services.Select(s => s.Name));
    }

    private static void AssertConnectionStrings(ServiceDescription service, IEnumerable<string> keys, Func<string, string> value)
    {
        const string prefix = "ConnectionStrings__";
        var given = keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]);
        Assert.True(service.Servers.Order().SequenceEqual(given.Order()),
            $"{service.Name}: topology.tsv gives it {string.Join(",", service.Servers)}, the file {string.Join(",", given)}");
        if (service.Servers.Contains("postgres")) Assert.Contains($"Database={service.Database}", value(prefix + "postgres"));
    }

    private static IList<YamlDocument> Load(string relativePath)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Root, relativePath));
        stream.Load(reader);
        return stream.Documents;
    }

    /// <summary>A mapping's entries with YAML merge keys (<c>&lt;&lt;: *anchor</c>) applied, as compose applies them.</summary>
    private static Dictionary<string, YamlNode> Entries(YamlMappingNode node)
    {
        var entries = new Dictionary<string, YamlNode>();
        foreach (var (key, value) in node.Children)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (name == "<<") foreach (var (k, v) in Entries((YamlMappingNode)value)) entries.TryAdd(k, v);
            else entries[name] = value;
        }
        return entries;
    }

    private static IEnumerable<string> Keys(YamlMappingNode node) => Entries(node).Keys;

    private static YamlMappingNode Mapping(YamlMappingNode node, string key) =>
        Entries(node).TryGetValue(key, out var value) ? (YamlMappingNode)value : throw new Xunit.Sdk.XunitException($"no '{key}' in {node.Start}");

    private static YamlSequenceNode Sequence(YamlMappingNode node, string key) =>
        Entries(node).TryGetValue(key, out var value) ? (YamlSequenceNode)value : throw new Xunit.Sdk.XunitException($"no '{key}' in {node.Start}");

    private static string Scalar(YamlMappingNode node, string key) =>
        Entries(node).TryGetValue(key, out var value) ? ((YamlScalarNode)value).Value ?? "" : throw new Xunit.Sdk.XunitException($"no '{key}' in {node.Start}");
}
