using System.Globalization;
using System.Text.RegularExpressions;

namespace ArFleet.Testing;

/// <summary>One sample of a Prometheus text exposition: series name, labels, value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Reads what a /metrics endpoint answers (the text exposition format, version 0.0.4).</summary>
public static partial class PrometheusScrape
{
    public static async Task<IReadOnlyList<PrometheusSample>> GetAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        response.EnsureSuccessStatusCode();
        return Parse(await response.Content.ReadAsStringAsync());
    }

    public static IReadOnlyList<PrometheusSample> Parse(string text) =>
        [.. text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(ParseLine)];

    private static PrometheusSample ParseLine(string line)
    {
        var match = Sample().Match(line);
        if (!match.Success) throw new FormatException($"Not a Prometheus sample: {line}");
        var labels = Label().Matches(match.Groups["labels"].Value)
            .ToDictionary(m => m.Groups["name"].Value, m => Regex.Unescape(m.Groups["value"].Value));
        return new PrometheusSample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\S+)?$""")]
    private static partial Regex Sample();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex Label();
}
