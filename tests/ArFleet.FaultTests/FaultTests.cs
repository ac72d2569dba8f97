using System.Text.Json;
using Xunit.Abstractions;

namespace ArFleet.FaultTests;

/// <summary>Each server and service killed with SIGKILL under load, on private servers. `./arfleet test` runs the broker,
/// Redis and PostgreSQL faults; ARFLEET_FAULTS=all (`./arfleet fault-test`) runs every service too.</summary>
public sealed class FaultTests(PrivateServers servers, ITestOutputHelper output) : IClassFixture<PrivateServers>
{
    public static TheoryData<string> Faults()
    {
        var all = Environment.GetEnvironmentVariable("ARFLEET_FAULTS") == "all";
        string[] faults = all
            ? [.. FaultScenario.Servers, "campaign-rules", "ingest", "recognition", "voucher-issuance", "isv-webhook"]
            : FaultScenario.Servers;
        return [.. faults];
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Every_accepted_scan_ends_and_the_budget_is_exact_when_killed(string fault)
    {
        var (report, problems) = await new FaultScenario(servers).RunAsync(fault);
        output.WriteLine(report.ToString());
        Console.WriteLine("FAULT REPORT " + report);
        await File.WriteAllTextAsync($"fault-report-{fault}.json", JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        // The first problems, then the services' last words (the last entry when there are problems).
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20).Append(problems.LastOrDefault() ?? "").Distinct()) + "\n" + report);
    }
}
