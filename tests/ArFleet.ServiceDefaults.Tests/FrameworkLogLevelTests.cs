using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ArFleet.ServiceDefaults.Tests;

/// <summary>The framework's per-request and per-call logs are off by default (Warning and above), and configuration
/// still decides: a level set in appsettings or the environment wins over the default.</summary>
public sealed class FrameworkLogLevelTests
{
    private static readonly string[] FrameworkCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.Routing.EndpointMiddleware",
        "System.Net.Http.HttpClient.Default.LogicalHandler", "Polly",
    ];

    private static ILoggerFactory Loggers(Dictionary<string, string?> configuration, List<WebApplication> apps)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddServiceDefaults();
        var app = builder.Build();
        apps.Add(app);
        return app.Services.GetRequiredService<ILoggerFactory>();
    }

    [Fact]
    public async Task Requests_and_outgoing_calls_are_not_logged_at_information_unless_configured_to_be()
    {
        var apps = new List<WebApplication>();
        try
        {
            var quiet = Loggers(new() { ["Logging:LogLevel:Default"] = "Information" }, apps);
            foreach (var category in FrameworkCategories)
            {
                Assert.False(quiet.CreateLogger(category).IsEnabled(LogLevel.Information), category);
                Assert.True(quiet.CreateLogger(category).IsEnabled(LogLevel.Warning), category);
            }
            Assert.True(quiet.CreateLogger("ArFleet.Ingest.ScanEndpoints").IsEnabled(LogLevel.Information));

            var verbose = Loggers(new() { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information" }, apps);
            Assert.True(verbose.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information));
            Assert.False(verbose.CreateLogger("Polly").IsEnabled(LogLevel.Information));
        }
        finally
        {
            foreach (var app in apps) await app.DisposeAsync();
        }
    }
}
