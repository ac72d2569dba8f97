namespace ArFleet.Testing;

/// <summary>One service of deploy/topology.tsv, the fleet's one description (see the file's header).</summary>
public sealed record ServiceDescription(string Name, string Project, int Port, string Endpoint, IReadOnlyList<string> Servers)
{
    public string Database => "arfleet_" + Name.Replace('-', '_');
}

public static class Topology
{
    /// <summary>The services in start order.</summary>
    public static IReadOnlyList<ServiceDescription> Services { get; } = Load(Path.Combine(ServiceProcess.RepositoryRoot(), "deploy", "topology.tsv"));

    public static IReadOnlyList<ServiceDescription> Load(string path) =>
        File.ReadLines(path)
            .Where(line => line.Trim() is { Length: > 0 } trimmed && !trimmed.StartsWith('#'))
            .Select(line => line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries) switch
            {
                [var name, var project, var port, var endpoint, var servers] => new ServiceDescription(
                    name, project, int.Parse(port), endpoint, servers == "-" ? [] : servers.Split(',')),
                _ => throw new FormatException($"{path}: expected 'service project port endpoint servers', got '{line}'"),
            })
            .ToList();

    public static ServiceDescription Service(string name) =>
        Services.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"{name} is not in deploy/topology.tsv", nameof(name));
}
