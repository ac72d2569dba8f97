using System.Text.Json;
using ArFleet.RecognitionEval;
using ArFleet.Testing;

namespace ArFleet.Recognition.Tests;

/// <summary>recognize-eval's scoring on a dataset small enough to check by hand.</summary>
public sealed class RecognitionEvalTests : IDisposable
{
    private readonly string dataset = Directory.CreateTempSubdirectory("arfleet-eval-").FullName;

    public void Dispose() => Directory.Delete(dataset, recursive: true);

    [Fact]
    public void Scores_each_query_against_its_truth_and_writes_one_answer_row_a_query_with_the_baseline_beside_it()
    {
        Directory.CreateDirectory(Path.Combine(dataset, "targets"));
        Directory.CreateDirectory(Path.Combine(dataset, "queries"));
        foreach (var seed in new[] { 1, 2 }) File.WriteAllBytes(Path.Combine(dataset, "targets", $"poster-{seed}.png"), TestImages.Target(seed));
        // A plain grey card: rejected for too little texture, so a scan of it counts among the queries without a target.
        File.WriteAllBytes(Path.Combine(dataset, "targets", "poster-plain.png"), TestImages.Plain(480, 360));
        var queries = new (string Name, string Target, byte[] Image)[]
        {
            ("q1.jpg", "poster-1", TestImages.CameraScan(TestImages.Target(1), 11).Jpeg),
            ("q2.jpg", "poster-2", TestImages.CameraScan(TestImages.Target(2), 12).Jpeg),
            ("q3.jpg", "", TestImages.UnrelatedPhoto(100)),
            ("q4.jpg", "poster-plain", TestImages.CameraScan(TestImages.Plain(480, 360), 14).Jpeg),
        };
        foreach (var (name, _, image) in queries) File.WriteAllBytes(Path.Combine(dataset, "queries", name), image);
        File.WriteAllLines(Path.Combine(dataset, "truth.csv"), queries.Select(q => $"{q.Name},{q.Target}").Prepend("query,targetId"));
        var json = Path.Combine(dataset, "report.json");
        var answers = Path.Combine(dataset, "answers.csv");

        var exitCode = Evaluation.Run(Arguments.Parse(["--dataset", dataset, "--json", json, "--answers", answers, "--baseline", "--baseline-queries", "3"]));

        Assert.Equal(0, exitCode);
        var report = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(3, report.GetProperty("targets").GetInt32());
        Assert.Equal(1, report.GetProperty("rejectedTargets").GetInt32());
        Assert.Equal(1.0, report.GetProperty("top1Accuracy").GetDouble());
        Assert.Equal(0.0, report.GetProperty("falsePositiveRate").GetDouble());
        Assert.Equal(3, report.GetProperty("baselineQueries").GetInt32());
        Assert.Equal(1.0, report.GetProperty("baselineTop1Accuracy").GetDouble());
        Assert.Equal(0.0, report.GetProperty("falsePositiveRateOnBaselineQueries").GetDouble());
        var rows = File.ReadAllLines(answers).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(["q1.jpg", "q2.jpg", "q3.jpg", "q4.jpg"], rows.Select(r => r[0]));
        Assert.Equal(["true", "true", "", "false"], rows.Select(r => r[2]));
        Assert.Equal(["poster-1", "poster-2", "", ""], rows.Select(r => r[3]));
        Assert.Equal(["features", "features", "", ""], rows.Select(r => r[4]));
        Assert.All(rows, r => Assert.True(double.Parse(r[5], System.Globalization.CultureInfo.InvariantCulture) > 0));
        Assert.Equal(["poster-1", "poster-2"], rows.Take(2).Select(r => r[6]));
        // The brute force may take the unrelated photo for a target; the report must count what the answers show.
        Assert.Equal(rows[2][6] == "" ? 0.0 : 1.0, report.GetProperty("baselineFalsePositiveRate").GetDouble());
        Assert.Equal(["", ""], new[] { rows[3][6], rows[3][7] }); // the fourth query is beyond --baseline-queries
    }
}
