using ArFleet.Ingest;
using ArFleet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetRedis();
builder.AddApiKeyAuthenticationFromCampaignRules();
builder.Services.AddSingleton<ImageClaimCheck>().AddSingleton<ScanStore>().AddSingleton<ScanWaiters>();
builder.AddArFleetMessaging(x => x.AddConsumer<ScanResolvedConsumer>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapScanEndpoints();
app.Run();
