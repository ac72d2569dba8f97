using ArFleet.Testing;
using YamlDotNet.RepresentationModel;

namespace ArFleet.UnitTests;

/// <summary>docker-compose.yml, the Kubernetes base (deploy/k8s/base, as its kustomization lists it, and the overlays'
/// images), the servers' users (deploy/servers) and the Dockerfile's restore layer against deploy/topology.tsv, the
/// fleet's one description (./arfleet and the test fleet read it directly): a service added, renamed or given another
/// server in one place only fails here. ./arfleet deploy-check validates the rendered overlays themselves.</summary>
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
            Assert.Equal([$"127.0.0.1:{service.Port}:8080"], ports);
            var environment = Mapping(entry, "environment");
            AssertConnectionStrings(service, Keys(environment), key => Scalar(environment, key));
            var dependsOn = Keys(Mapping(entry, "depends_on")).ToHashSet();
            Assert.Subset(dependsOn, service.Servers.ToHashSet());
            // Every service asks campaign-rules about API keys: none starts before it answers.
            if (service.Name != "campaign-rules") Assert.Contains("campaign-rules", dependsOn);
            Assert.All(Keys(Mapping(entry, "depends_on")), d => Assert.Equal("service_healthy", Scalar(Mapping(Mapping(entry, "depends_on"), d), "condition")));
            if (service.Servers.Count > 0) Assert.Contains("backend", Sequence(entry, "networks").Select(n => ((YamlScalarNode)n).Value));
        }
        // The servers: on the internal network only, nothing published, each given the passwords of its users.
        Assert.Equal("true", Scalar(Mapping(Mapping(compose, "networks"), "backend"), "internal"));
        foreach (var server in Servers)
        {
            var entry = Mapping(services, server);
            Assert.False(Entries(entry).ContainsKey("ports"), $"{server} publishes ports");
            Assert.Equal(["backend"], Sequence(entry, "networks").Select(n => ((YamlScalarNode)n).Value!));
        }
        foreach (var service in Topology.Services)
        {
            if (service.Servers.Contains("postgres"))
                Assert.Contains(SecretName(service, "POSTGRES"), Keys(Mapping(Mapping(services, "postgres"), "environment")));
            if (service.Servers.Contains("rabbitmq"))
                Assert.Contains(SecretName(service, "RABBITMQ"), Keys(Mapping(Mapping(services, "rabbitmq"), "environment")));
        }
    }

    [Fact]
    public void Each_service_has_its_own_server_users()
    {
        var roles = File.ReadAllText(Path.Combine(Root, "deploy", "servers", "postgres", "10-arfleet-roles.sh"));
        var listed = System.Text.RegularExpressions.Regex.Match(roles, @"services=\(([^)]*)\)").Groups[1].Value
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => "arfleet_" + s);
        Assert.Equal(Topology.Services.Where(s => s.Servers.Contains("postgres")).Select(s => s.Database).Order(), listed.Order());

        using var definitions = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "deploy", "servers", "rabbitmq", "definitions.json")));
        var users = definitions.RootElement.GetProperty("users").EnumerateArray().ToDictionary(u => u.GetProperty("name").GetString()!);
        var granted = definitions.RootElement.GetProperty("permissions").EnumerateArray()
            .Where(p => p.GetProperty("vhost").GetString() == "arfleet").Select(p => p.GetProperty("user").GetString()).ToHashSet();
        foreach (var service in Topology.Services.Where(s => s.Servers.Contains("rabbitmq")))
        {
            Assert.Equal($"${{{SecretName(service, "RABBITMQ")}}}", users[service.Name].GetProperty("password").GetString());
            Assert.Empty(users[service.Name].GetProperty("tags").EnumerateArray()); // no management access
            Assert.Contains(service.Name, granted);
        }

        // deploy/docker/make-env makes a PostgreSQL and a RabbitMQ password for each service that has servers (the
        // rendered overlays' secret references are checked against its output by deploy-check).
        var made = File.ReadAllText(Path.Combine(Root, "deploy", "docker", "make-env"));
        var services = string.Join(" ", Topology.Services.Where(s => s.Servers.Count > 0).Select(s => s.Name.Replace('-', '_').ToUpperInvariant()));
        Assert.Contains($"services=({services})", made);
    }

    [Fact]
    public void Kubernetes_runs_the_topology()
    {
        var documents = KustomizeBase().ToList();
        IEnumerable<YamlMappingNode> Kind(string kind) => documents.Where(d => Scalar(d, "kind") == kind);
        string Name(YamlMappingNode document) => Scalar(Mapping(document, "metadata"), "name");

        Assert.Equal(Topology.Services.Select(s => s.Name).Order(), Kind("Deployment").Select(Name).Order());
        Assert.Equal(Servers.Order(), Kind("StatefulSet").Select(Name).Order());
        Assert.Equal(Topology.Services.Select(s => s.Name).Concat(Servers).Order(), Kind("Service").Select(Name).Order());
        foreach (var service in Topology.Services)
        {
            var deployment = Kind("Deployment").Single(d => Name(d) == service.Name);
            var template = Mapping(Mapping(deployment, "spec"), "template");
            var container = (YamlMappingNode)Sequence(Mapping(template, "spec"), "containers").Single();
            Assert.Equal($"arfleet-{service.Name}", Scalar(container, "image"));
            var environment = Sequence(container, "env").Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name"));
            AssertConnectionStrings(service, environment.Keys,
                key => environment[key].Children.ContainsKey("value") ? Scalar(environment[key], "value") : "");
            // The NetworkPolicies let a pod reach a server by these labels only.
            var labels = Mapping(Mapping(template, "metadata"), "labels");
            var uses = Keys(labels).Where(k => k.StartsWith("arfleet.io/uses-", StringComparison.Ordinal)).Select(k => k["arfleet.io/uses-".Length..]);
            Assert.Equal(service.Servers.Order(), uses.Order());
            Assert.Contains(Kind("PodDisruptionBudget"), p => Name(p) == service.Name);
        }
        foreach (var scaled in Kind("ScaledObject"))
        {
            var target = Scalar(Mapping(Mapping(scaled, "spec"), "scaleTargetRef"), "name");
            Assert.Contains(target, Topology.Services.Select(s => s.Name));
            Assert.False(Entries(Mapping(Kind("Deployment").Single(d => Name(d) == target), "spec")).ContainsKey("replicas"),
                $"{target} sets replicas beside KEDA");
        }
        // Each overlay sets every service's image.
        foreach (var overlay in new[] { "development", "production" })
        {
            var kustomization = (YamlMappingNode)Load(Path.Combine("deploy", "k8s", "overlays", overlay, "kustomization.yaml")).Single().RootNode;
            var images = Sequence(kustomization, "images").Cast<YamlMappingNode>().Select(i => Scalar(i, "name"));
            Assert.Equal(Topology.Services.Select(s => $"arfleet-{s.Name}").Order(), images.Order());
        }
    }

    [Fact]
    public void Dockerfile_restores_every_project_a_service_references()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "deploy", "docker", "Dockerfile"));
        var restore = dockerfile[..dockerfile.IndexOf("RUN dotnet restore", StringComparison.Ordinal)];
        var projects = new HashSet<string>();
        void Visit(string project)
        {
            if (!projects.Add(project)) return;
            foreach (System.Xml.Linq.XElement reference in System.Xml.Linq.XDocument.Load(Path.Combine(Root, project)).Descendants("ProjectReference"))
                Visit(Path.GetRelativePath(Root, Path.GetFullPath(Path.Combine(Root, Path.GetDirectoryName(project)!,
                    reference.Attribute("Include")!.Value))).Replace('\\', '/'));
        }
        foreach (var service in Topology.Services) Visit($"services/{service.Project}/ArFleet.{service.Project}.csproj");
        foreach (var project in projects)
            Assert.Contains($"COPY {project} {Path.GetDirectoryName(project)!.Replace('\\', '/')}/", restore);
    }

    /// <summary>The Kubernetes base as kustomize reads it: the files its kustomization.yaml lists (directories among
    /// them hold generators only, no services).</summary>
    private static IEnumerable<YamlMappingNode> KustomizeBase()
    {
        var directory = Path.Combine("deploy", "k8s", "base");
        var kustomization = (YamlMappingNode)Load(Path.Combine(directory, "kustomization.yaml")).Single().RootNode;
        foreach (var resource in Sequence(kustomization, "resources").Select(r => ((YamlScalarNode)r).Value!))
        {
            var path = Path.Combine(directory, resource);
            if (Directory.Exists(Path.Combine(Root, path))) continue;
            foreach (var document in Load(path)) if (document.RootNode is YamlMappingNode mapping) yield return mapping;
        }
    }

    private static string SecretName(ServiceDescription service, string server) =>
        $"ARFLEET_{service.Name.Replace('-', '_').ToUpperInvariant()}_{server}_PASSWORD";

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
