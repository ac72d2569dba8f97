using ArFleet.Demo;

// ./arfleet demo runs `run`; `make-poster` made the committed demo/poster.png and demo/photo-of-poster.jpg.
return args switch
{
    ["run", "--endpoints", var endpoints, "--assets", var assets] => await DemoRun.RunAsync(endpoints, assets),
    ["make-poster", "--out", var folder] => DemoPoster.Write(folder),
    _ => Usage(),
};

static int Usage()
{
    System.Console.Error.WriteLine("usage: Demo run --endpoints .arfleet/endpoints.json --assets demo | Demo make-poster --out demo");
    return 2;
}
