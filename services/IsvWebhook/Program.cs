using ArFleet.IsvWebhook;
using ArFleet.ServiceDefaults;
using MassTransit;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetPostgres(typeof(Program).Assembly);
builder.AddApiKeyAuthenticationFromCampaignRules();
builder.AddWebhookDelivery();
builder.AddArFleetMessaging(x =>
{
    x.AddConsumers(typeof(Program).Assembly);
    x.AddApiKeyRevocations();
});

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapWebhookEndpointApi();
app.Run();
