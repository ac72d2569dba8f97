using ArFleet.Recognition;
using ArFleet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddArFleetRedis();
builder.AddArFleetPostgres(typeof(Program).Assembly);
builder.AddRecognition();
builder.AddArFleetMessaging(x => x.AddRecognitionConsumers());

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
