using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ArFleet.Recognition.Engine;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.RecognitionEval;

/// <summary>recognition-eval evaluate --recaptures: the recapture benchmark on a make-dataset --recaptures set. Registers its targets,
/// recognises every query on one thread (timed with and without the recapture stage), measures RecaptureCues on each
/// recognised query, fits RecaptureModel on the training settings and reports, on the held-out settings, APCER (recaptures
/// rewarded) at BPCER (genuine scans refused) of at most 1 %, beside a baseline of one threshold on the spectral peak, and
/// the committed model's figures at its own threshold. --fit FILE writes the fitted model (commit it as
/// services/Recognition.Engine/Fraud/recapture-model.json).</summary>
public static class RecaptureEvaluation
{
    private const double MaxBpcer = 0.01;

    /// <summary>The share of genuine training scans the fitted threshold may refuse: half the goal, because a threshold set at
    /// 1 % on a hundred-odd genuine scans refused 2-3 % of other seeds' (2026-12-04).</summary>
    private const double TrainingBpcer = MaxBpcer / 2;

    private sealed record Sample(string Query, string Class, bool Train, string Setting, bool Recognised, double[]? Cues, string? CannotTell, double Ms,
        double MsWithCues)
    {
        public bool Attack => Class != "genuine";
    }

    public static int Run(Arguments args)
    {
        var dataset = args.Required("dataset");
        var truthFile = Path.Combine(dataset, "truth.csv");
        if (!File.Exists(truthFile) || !File.ReadLines(truthFile).First().Contains(",class,"))
            throw new ArgumentException($"{dataset} is not a recapture set (make one with ./arfleet make-dataset --recaptures)");
        var options = new RecognitionOptions();
        var extractor = new FeatureExtractor(Options.Create(options));
        var grader = new TargetGrader(extractor, Options.Create(options));
        using var index = new TargetIndex(Options.Create(options));
        RecaptureModel? committed = null;
        try { committed = RecaptureModel.Committed; }
        catch (InvalidOperationException e) { Console.Error.WriteLine($"committed model not scored: {e.Message}"); }

        var names = new ConcurrentDictionary<Guid, string>();
        Parallel.ForEach(Directory.GetFiles(Path.Combine(dataset, "targets")), file =>
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var graded = grader.Assess(File.ReadAllBytes(file));
            var id = new Guid(MD5.HashData(Encoding.UTF8.GetBytes(name)));
            if (graded.Grade.RejectionReason is null && index.Add(graded.ToIndexed(id, Guid.Empty))) names[id] = name;
            else graded.Features.Dispose();
        });
        Cv2.SetNumThreads(1); // per-query latency on one core

        var samples = new List<Sample>();
        foreach (var row in File.ReadLines(truthFile).Skip(1).Where(l => l.Length > 0))
        {
            var p = row.Split(',');
            var bytes = File.ReadAllBytes(Path.Combine(dataset, "queries", p[0]));
            var clock = Stopwatch.StartNew();
            using var features = extractor.ExtractQuery(bytes);
            var match = index.Match(features);
            var ms = clock.Elapsed.TotalMilliseconds;
            double[]? cues = null;
            string? cannotTell = null;
            if (match is not null)
            {
                // What the service's fraud stage does (ScanRecognizer): on the frame the query's one decode kept, the recapture
                // cues (RecaptureDetector.Assess: measure, score) and the image's fingerprints.
                var frame = features.Frame!;
                (cues, cannotTell) = RecaptureCues.Measure(frame, match.Corners.Select(c => new Point2f((float)c[0], (float)c[1])).ToArray(),
                    index.ColourOf(match.TargetId));
                if (cues is not null) committed?.Score(cues);
                ImageFingerprint.Of(frame, match.Corners);
            }
            var withCues = clock.Elapsed.TotalMilliseconds;
            var recognised = match is not null && names.GetValueOrDefault(match.TargetId) == p[1];
            samples.Add(new Sample(p[0], p[2], p[3] == "train", p[4], recognised, recognised ? cues : null, recognised ? cannotTell : null, ms, withCues));
        }

        var train = samples.Where(s => s.Train && s.Cues is not null).ToList();
        var test = samples.Where(s => !s.Train).ToList();
        var model = Fit(train);
        var p50 = Percentile(samples.Select(s => s.Ms), 0.5);
        var p50WithCues = Percentile(samples.Select(s => s.MsWithCues), 0.5);
        var report = new Dictionary<string, object?>
        {
            ["queries"] = samples.Count,
            ["targetsAccepted"] = names.Count,
            ["recognisedByClass"] = samples.GroupBy(s => s.Class).OrderBy(g => g.Key)
                .ToDictionary(g => g.Key, g => $"{g.Count(s => s.Recognised)} of {g.Count()}"),
            ["cannotTell"] = samples.Where(s => s.CannotTell is not null).GroupBy(s => s.CannotTell!).ToDictionary(g => g.Key, g => g.Count()),
            ["trainSamples"] = new { genuine = train.Count(s => !s.Attack), screen = train.Count(s => s.Class == "screen"),
                print = train.Count(s => s.Class == "print") },
            ["testQueries"] = new { genuine = test.Count(s => !s.Attack), screen = test.Count(s => s.Class == "screen"),
                print = test.Count(s => s.Class == "print") },
            ["fitted"] = AtBpcer(test, s => model.Score(s)),
            ["baselineSpectralPeak"] = AtBpcer(test, s => s[0]),
            ["fittedAtTrainingThreshold"] = AtThreshold(test, s => model.Score(s), model.Threshold),
            ["committedAtItsThreshold"] = committed is null ? null : AtThreshold(test, s => committed.Score(s), committed.Threshold),
            ["cueAuc"] = RecaptureCues.Names.Select((name, i) => (name, i)).ToDictionary(c => c.name, c => Auc(train, c.i)),
            ["p50Ms"] = p50,
            ["p50MsWithRecaptureStage"] = p50WithCues,
            ["p50Ratio"] = Math.Round(p50WithCues / p50, 3),
            ["model"] = model,
        };
        var json = JsonSerializer.Serialize(report, RecaptureModel.Json);
        Console.WriteLine(json);
        if (args.Text("json") is { } path) File.WriteAllText(path, json + "\n");
        if (args.Text("fit") is { } modelPath) File.WriteAllText(modelPath, JsonSerializer.Serialize(model, RecaptureModel.Json) + "\n");
        if (args.Text("samples") is { } samplesPath)
            File.WriteAllLines(samplesPath, samples.Select(s => string.Join(',', s.Query, s.Class, s.Train ? "train" : "test", s.Recognised, s.CannotTell,
                    s.Cues is null ? "" : string.Join(',', s.Cues.Select(c => c.ToString("G4", CultureInfo.InvariantCulture))), s.Setting))
                .Prepend("query,class,split,recognised,cannotTell," + string.Join(',', RecaptureCues.Names) + ",setting"));
        return 0;
    }

    /// <summary>Logistic regression on the standardised cues by Newton's method with a small ridge; the threshold is the
    /// lowest score that refuses at most TrainingBpcer of the genuine training scans.</summary>
    private static RecaptureModel Fit(List<Sample> train)
    {
        var n = RecaptureCues.Names.Length;
        if (train.Count(s => s.Attack) == 0 || train.Count(s => !s.Attack) == 0)
            throw new ArgumentException("the training settings need genuine and recaptured scans that were recognised");
        var mean = Enumerable.Range(0, n).Select(i => train.Average(s => s.Cues![i])).ToArray();
        var scale = Enumerable.Range(0, n).Select(i => Math.Max(1e-6, Math.Sqrt(train.Average(s => Math.Pow(s.Cues![i] - mean[i], 2))))).ToArray();
        var x = train.Select(s => s.Cues!.Select((c, i) => (c - mean[i]) / scale[i]).Prepend(1.0).ToArray()).ToList();
        var y = train.Select(s => s.Attack ? 1.0 : 0.0).ToList();
        var w = new double[n + 1];
        for (var iteration = 0; iteration < 100; iteration++)
        {
            var gradient = new double[n + 1];
            var hessian = new double[n + 1, n + 1];
            for (var k = 0; k < x.Count; k++)
            {
                var p = 1 / (1 + Math.Exp(-x[k].Zip(w, (a, b) => a * b).Sum()));
                for (var i = 0; i <= n; i++)
                {
                    gradient[i] += (p - y[k]) * x[k][i];
                    for (var j = 0; j <= n; j++) hessian[i, j] += p * (1 - p) * x[k][i] * x[k][j];
                }
            }
            // The ridge keeps separable training sets finite and spreads weight over correlated cues.
            for (var i = 1; i <= n; i++) { gradient[i] += Ridge * w[i]; hessian[i, i] += Ridge; }
            hessian[0, 0] += 1e-6;
            var step = LinearSystem.Solve(hessian, gradient);
            for (var i = 0; i <= n; i++) w[i] -= step[i];
            if (step.Sum(Math.Abs) < 1e-9) break;
        }
        var fitted = new RecaptureModel(RecaptureCues.Names, Round(mean), Round(scale), Round(w[1..]), Math.Round(w[0], 4), 0,
            $"recognize-eval --recaptures on {train.Count} recognised training scans, {DateTime.UtcNow:yyyy-MM-dd}");
        var genuine = train.Where(s => !s.Attack).Select(s => fitted.Score(s.Cues!)).OrderDescending().ToList();
        var allowed = (int)Math.Floor(TrainingBpcer * genuine.Count);
        return fitted with { Threshold = Math.Round(genuine[allowed] + 1e-4, 4) };
    }

    private const double Ridge = 1.0;

    /// <summary>APCER when the threshold on the score is set on these genuine scans at BPCER of at most 1 %: attacks count as
    /// rewarded when recognised and not refused (a scan that cannot tell is never refused).</summary>
    private static object AtBpcer(List<Sample> test, Func<double[], double> score)
    {
        var genuine = test.Where(s => !s.Attack && s.Cues is not null).Select(s => score(s.Cues!)).OrderDescending().ToList();
        var allowed = (int)Math.Floor(MaxBpcer * test.Count(s => !s.Attack && s.Recognised));
        var threshold = genuine.Count == 0 ? double.PositiveInfinity : genuine[Math.Min(allowed, genuine.Count - 1)] + 1e-9;
        return AtThreshold(test, score, threshold);
    }

    private static object AtThreshold(List<Sample> test, Func<double[], double> score, double threshold)
    {
        bool Refused(Sample s) => s.Cues is not null && score(s.Cues) >= threshold;
        var genuine = test.Where(s => !s.Attack && s.Recognised).ToList();
        object Apcer(IEnumerable<Sample> attacks)
        {
            var recognised = attacks.Where(s => s.Recognised).ToList();
            // notJudged: rewarded because the scan could not tell (too small, overexposed...), whatever the threshold.
            return new { recognised = recognised.Count, rewarded = recognised.Count(s => !Refused(s)),
                notJudged = recognised.Count(s => s.Cues is null),
                apcer = recognised.Count == 0 ? (double?)null : Math.Round(recognised.Count(s => !Refused(s)) / (double)recognised.Count, 4) };
        }
        return new
        {
            threshold = Math.Round(threshold, 4),
            bpcer = genuine.Count == 0 ? (double?)null : Math.Round(genuine.Count(Refused) / (double)genuine.Count, 4),
            genuineRefused = genuine.Count(Refused),
            genuineRecognised = genuine.Count,
            all = Apcer(test.Where(s => s.Attack)),
            screen = Apcer(test.Where(s => s.Class == "screen")),
            print = Apcer(test.Where(s => s.Class == "print")),
        };
    }

    /// <summary>The area under the ROC curve of one cue on the training scans (recaptures against genuine): 0.5 is chance,
    /// and a cue below 0.5 is as useful with its sign turned.</summary>
    private static double Auc(List<Sample> train, int cue)
    {
        var attacks = train.Where(s => s.Attack).Select(s => s.Cues![cue]).ToList();
        var genuine = train.Where(s => !s.Attack).Select(s => s.Cues![cue]).ToList();
        var wins = attacks.Sum(a => genuine.Sum(g => a > g ? 1.0 : a == g ? 0.5 : 0));
        return Math.Round(wins / Math.Max(1, attacks.Count * genuine.Count), 3);
    }

    private static double[] Round(double[] values) => values.Select(v => Math.Round(v, 4)).ToArray();

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : Math.Round(sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))], 2);
    }
}
