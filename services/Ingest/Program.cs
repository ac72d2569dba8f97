using ArFleet.Ingest;
using ArFleet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetRedis();
builder.AddApiKeyAuthenticationFromCampaignRules();
builder.Services.AddSingleton<ImageClaimCheck>().AddSingleton<ScanStore>().AddSingleton<ScanWaiters>().AddSingleton<ScanRateLimiter>();
builder.Services.Configure<ScanRateOptions>(builder.Configuration.GetSection("Scans:RateLimits"));
builder.AddArFleetMessaging(x => x.AddConsumer<ScanResolvedConsumer>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapScanEndpoints();
app.Run();
