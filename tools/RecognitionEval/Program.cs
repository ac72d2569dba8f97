using ArFleet.RecognitionEval;

// recognition-eval make-dataset --out DIR [--targets N] [--queries M] [--seed S] [--distractors D] --icons DIR
// recognition-eval make-dataset --recaptures --out DIR [--targets N] [--queries M] [--seed S] [--icons DIR]
// recognition-eval evaluate --dataset DIR [--json FILE] [--answers FILE] [--baseline] [--baseline-queries K]
//     [--calibrate] [--ungraded-distractors] [--startup-postgres CONNECTION [--startup-targets N]]
// recognition-eval evaluate --recaptures --dataset DIR [--fit MODEL.json] [--json FILE] [--samples FILE]
var arguments = Arguments.Parse(args.Skip(1));
try
{
    return args.FirstOrDefault() switch
    {
        "make-dataset" => DatasetMaker.Run(arguments),
        "evaluate" => Evaluation.Run(arguments),
        _ => Usage(),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("usage: recognition-eval make-dataset --out DIR --icons DIR [--targets N] [--queries M] [--seed S] [--distractors D]");
    Console.Error.WriteLine("       recognition-eval make-dataset --recaptures --out DIR [--targets N] [--queries M] [--seed S] [--icons DIR]");
    Console.Error.WriteLine("       recognition-eval evaluate --recaptures --dataset DIR [--fit MODEL.json] [--json FILE] [--samples FILE]");
    Console.Error.WriteLine("       recognition-eval evaluate --dataset DIR [--json FILE] [--answers FILE] [--baseline] [--baseline-queries K] " +
        "[--calibrate] [--ungraded-distractors] [--startup-postgres CONNECTION [--startup-targets N]]");
    return 2;
}
