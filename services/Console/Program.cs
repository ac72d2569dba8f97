using ArFleet.Console;
using ArFleet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApiProxy();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseConsolePages();
app.MapReverseProxy();
app.Run();
