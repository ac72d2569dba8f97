using ArFleet.ServiceDefaults;
using ArFleet.VoucherIssuance;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetRedis();
builder.AddArFleetPostgres(typeof(Program).Assembly);
builder.AddApiKeyAuthenticationFromCampaignRules();
builder.AddVoucherIssuing();
builder.AddArFleetMessaging(x =>
{
    x.AddConsumer<RewardRequestedConsumer>();
    x.AddApiKeyRevocations();
});

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapVoucherEndpoints();
app.Run();
