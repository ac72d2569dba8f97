using System.Diagnostics;
using ArFleet.Testing;

namespace ArFleet.UnitTests;

/// <summary>deploy/observability through Prometheus' own checker: the local scrape config with the rules it loads, the
/// rules, and the alert rules' unit tests (alerts.test.yml: each alert fires on the series it should, when it should,
/// and not on the others). promtool comes from Debian's prometheus package, unpacked by ./arfleet test
/// (ARFLEET_PROMTOOL). Debian's build leaves Kubernetes discovery out, so prometheus-kubernetes.yml is checked by
/// ObservabilityConfigTests only.</summary>
public class PromtoolTests
{
    [Theory]
    [InlineData("check", "config", "prometheus.yml")]
    [InlineData("check", "rules", "alerts.yml")]
    [InlineData("test", "rules", "alerts.test.yml")]
    public async Task Promtool_accepts(string command, string what, string file)
    {
        var start = new ProcessStartInfo(Promtool(), [command, what, file])
        {
            WorkingDirectory = ObservabilityConfig.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"promtool {command} {what} {file} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        Assert.Contains("SUCCESS", await output + await errors);
    }

    private static string Promtool()
    {
        var candidates = new[]
        {
            Environment.GetEnvironmentVariable("ARFLEET_PROMTOOL"),
            Path.Combine(Environment.GetEnvironmentVariable("ARFLEET_HOME") is { Length: > 0 } home ? home : Path.Combine(ServiceProcess.RepositoryRoot(),
                ".arfleet"), "tools", "promtool"),
            "/usr/bin/promtool",
        };
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c))
            ?? throw new InvalidOperationException("promtool not found: ./arfleet test unpacks it (ARFLEET_PROMTOOL), or install Debian's prometheus package.");
    }
}
