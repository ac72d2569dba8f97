using ArFleet.Console;
using ArFleet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApiProxy();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseSecurityHeaders();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapReverseProxy();
app.Run();
