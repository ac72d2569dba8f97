using ArFleet.CampaignRules;
using ArFleet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetPostgres(typeof(Program).Assembly);
builder.AddApiKeyAuthentication<TenantStore>();
builder.AddCampaignRules();
builder.AddArFleetMessaging(x => x.AddCampaignRulesConsumers());
builder.AddArFleetOutbox();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTenantEndpoints();
app.MapTargetEndpoints();
app.MapCampaignEndpoints();
app.MapCampaignStatsEndpoints();
app.Run();
