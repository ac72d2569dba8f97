using System.Globalization;

namespace ArFleet.Load;

/// <summary>The command line of <c>./arfleet load</c>: how much load, against which fleet, and which processes to meter.</summary>
public sealed record LoadOptions(
    string EndpointsFile, int Scans, int Concurrency, double? Rate, TimeSpan Duration, int Budget, int Photos, int Warmup, string? JsonFile,
    IReadOnlyDictionary<string, int> Processes)
{
    public const string Usage = """
        usage: load --endpoints .arfleet/endpoints.json [--scans N] [--concurrency C] [--rate R] [--duration S]
                    [--budget B] [--photos P] [--warmup W] [--json FILE] [--process NAME=PID]...
          --scans N        at most N scans (1000)          --concurrency C  at most C in flight (16)
          --rate R         start at most R scans a second  --duration S     start none after S seconds (600)
          --budget B       the campaign's vouchers (N / 2) --photos P       distinct photos, reused round-robin (32)
          --warmup W       scans before the measured ones, not counted (1200: a fresh fleet compiles its code meanwhile)
          --json FILE      the report as JSON too          --process NAME=PID  a process whose CPU is counted per scan
        """;

    private static readonly string[] Names =
        ["--endpoints", "--scans", "--concurrency", "--rate", "--duration", "--budget", "--photos", "--warmup", "--json", "--process"];

    public static LoadOptions Parse(string[] args)
    {
        // Every option takes a value; anything else (a typo, --help) is refused before a load starts.
        for (var i = 0; i < args.Length; i += 2)
            if (!Names.Contains(args[i]) || i + 1 == args.Length) throw new ArgumentException($"'{args[i]}' is not an option with a value");
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        double? Number(string name) => Value(name) is { } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new ArgumentException($"{name} takes a positive number, not '{text}'")
            : null;
        var scans = (int)(Number("--scans") ?? 1000);
        var processes = new Dictionary<string, int>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] != "--process") continue;
            var parts = args[i + 1].Split('=', 2);
            if (parts.Length != 2 || !int.TryParse(parts[1], out var pid)) throw new ArgumentException($"--process takes NAME=PID, not '{args[i + 1]}'");
            processes[parts[0]] = pid;
        }
        return new LoadOptions(
            Value("--endpoints") ?? throw new ArgumentException("--endpoints is required (./arfleet load passes .arfleet/endpoints.json)"),
            scans,
            (int)(Number("--concurrency") ?? 16),
            Number("--rate"),
            TimeSpan.FromSeconds(Number("--duration") ?? 600),
            (int)(Number("--budget") ?? Math.Max(1, scans / 2)),
            (int)(Number("--photos") ?? 32),
            Value("--warmup") == "0" ? 0 : (int)(Number("--warmup") ?? 1200),
            Value("--json"),
            processes);
    }
}
