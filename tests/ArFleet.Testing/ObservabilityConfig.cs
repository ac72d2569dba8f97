using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace ArFleet.Testing;

/// <summary>deploy/observability as the tests read it: the Grafana dashboard's and the alert rules' PromQL, the series
/// names they use, and the list of series that come from outside the fleet's own instruments.</summary>
public static partial class ObservabilityConfig
{
    public static string Directory { get; } = Path.Combine(ServiceProcess.RepositoryRoot(), "deploy", "observability");

    public static JsonObject Dashboard() => JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, "dashboard.json")))!.AsObject();

    /// <summary>Each panel's title with the expressions of its queries (rows have none).</summary>
    public static IReadOnlyList<(string Title, IReadOnlyList<string> Expressions)> DashboardPanels() =>
        [.. Dashboard()["panels"]!.AsArray().Select(p => ((string)p!["title"]!,
            (IReadOnlyList<string>)[.. (p["targets"]?.AsArray() ?? []).Select(t => (string)t!["expr"]!)]))];

    /// <summary>The queries of the dashboard's template variables.</summary>
    public static IReadOnlyList<string> DashboardVariableQueries() =>
        [.. Dashboard()["templating"]!["list"]!.AsArray().Select(v => v!["query"] is JsonObject q ? (string)q["query"]! : (string)v["query"]!)];

    public static YamlMappingNode Yaml(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Directory, file));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    /// <summary>Every rule of alerts.yml as its mapping (alert, expr, for, labels, annotations).</summary>
    public static IReadOnlyList<YamlMappingNode> AlertRules() =>
        [.. ((YamlSequenceNode)Yaml("alerts.yml")["groups"]).Cast<YamlMappingNode>().SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())];

    public static IReadOnlyList<string> AllExpressions() =>
        [.. DashboardPanels().SelectMany(p => p.Expressions), .. DashboardVariableQueries(), .. AlertRules().Select(r => ((YamlScalarNode)r["expr"]).Value!)];

    /// <summary>exporter-series.txt: each series name with its source (prometheus, service, rabbitmq, postgres, redis).</summary>
    public static IReadOnlyDictionary<string, string> ExporterSeries() =>
        File.ReadLines(Path.Combine(Directory, "exporter-series.txt"))
            .Where(l => l.Trim() is { Length: > 0 } t && !t.StartsWith('#'))
            .Select(l => l.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToDictionary(p => p[0], p => p[1]);

    private static readonly HashSet<string> Keywords = ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
        "offset"];
    private static readonly HashSet<string> Groupings = ["by", "without", "on", "ignoring", "group_left", "group_right"];

    /// <summary>The series names a PromQL expression selects: identifiers that are not functions, aggregations,
    /// keywords or the labels of a grouping, outside label matchers, ranges and strings.</summary>
    public static IReadOnlySet<string> SeriesNames(string promQl)
    {
        var text = Bracketed().Replace(Strings().Replace(promQl, "\"\""), " ");
        var names = new HashSet<string>();
        var tokens = Token().Matches(text).Select(m => m.Value).ToList();
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var next = i + 1 < tokens.Count ? tokens[i + 1] : "";
            if (Groupings.Contains(token) && next == "(")
            {
                while (i < tokens.Count && tokens[i] != ")") i++; // the grouping's label list
                continue;
            }
            if (!char.IsLetter(token[0]) && token[0] != '_' && token[0] != ':') continue; // numbers, operators, parentheses
            if (Keywords.Contains(token) || next == "(" || Groupings.Contains(next)) continue; // keywords, functions, aggregations (sum by (...) (...))
            names.Add(token);
        }
        return names;
    }

    [GeneratedRegex("\"(\\\\.|[^\"\\\\])*\"|'(\\\\.|[^'\\\\])*'|`[^`]*`")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}|\[[^\]]*\]")]
    private static partial Regex Bracketed();

    [GeneratedRegex(@"[0-9][0-9.]*[a-zA-Z0-9]*|[a-zA-Z_:][a-zA-Z0-9_:]*|\(|\)|[^\s()a-zA-Z0-9_:]+")]
    private static partial Regex Token();
}
