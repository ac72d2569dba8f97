using ArFleet.CampaignRules;
using ArFleet.ServiceDefaults;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetPostgres(typeof(Program).Assembly);
builder.AddApiKeyAuthentication<TenantStore>();
builder.Services.AddSingleton<TargetStore>().AddSingleton<CampaignStore>();
builder.AddArFleetMessaging(x => x.AddConsumers(typeof(Program).Assembly));

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTenantEndpoints();
app.MapTargetEndpoints();
app.MapCampaignEndpoints();
app.Run();
