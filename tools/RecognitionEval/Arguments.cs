namespace ArFleet.RecognitionEval;

/// <summary>--name value pairs and bare --flags.</summary>
public sealed class Arguments(Dictionary<string, string?> values)
{
    public static Arguments Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string?>();
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--")) { pending = arg[2..]; values[pending] = null; }
            else if (pending is not null) { values[pending] = arg; pending = null; }
            else throw new ArgumentException($"unexpected argument '{arg}'");
        }
        return new Arguments(values);
    }

    public bool Flag(string name) => values.ContainsKey(name);

    public string? Text(string name) => values.GetValueOrDefault(name);

    public string Required(string name) => Text(name) ?? throw new ArgumentException($"--{name} is required");

    public int Number(string name, int fallback) => Text(name) is { } text
        ? int.TryParse(text, out var n) && n >= 0 ? n : throw new ArgumentException($"--{name} needs a whole number, not '{text}'")
        : fallback;
}
