using ArFleet.ServiceDefaults;
using ArFleet.VoucherIssuance;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetRedis();
builder.AddArFleetPostgres(typeof(Program).Assembly);
builder.AddApiKeyAuthenticationFromCampaignRules();
builder.Services.AddSingleton<RedisBudgetGate>().AddSingleton<VoucherLedger>().AddSingleton<VoucherIssuer>();
builder.AddArFleetMessaging(x => x.AddConsumer<RewardRequestedConsumer>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapVoucherEndpoints();
app.Run();
