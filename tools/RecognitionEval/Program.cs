using ArFleet.RecognitionEval;

// recognition-eval make-dataset --out DIR [--targets N] [--queries M] [--seed S] [--distractors D] --icons DIR
// recognition-eval evaluate --dataset DIR [--json FILE] [--answers FILE] [--baseline] [--baseline-queries K] [--calibrate] [--ungraded-distractors] [--startup-postgres CONNECTION [--startup-targets N]]
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
    Console.Error.WriteLine("       recognition-eval evaluate --dataset DIR [--json FILE] [--answers FILE] [--baseline] [--baseline-queries K] [--calibrate] [--ungraded-distractors] [--startup-postgres CONNECTION [--startup-targets N]]");
    return 2;
}
