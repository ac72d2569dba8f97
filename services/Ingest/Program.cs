using ArFleet.Ingest;
using ArFleet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetRedis();
builder.AddArFleetPostgres(typeof(Program).Assembly);
builder.AddApiKeyAuthenticationFromCampaignRules();
builder.AddScanIntake();
builder.AddArFleetMessaging(x => x.AddIngestConsumers());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapScanEndpoints();
app.Run();
