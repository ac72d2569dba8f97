using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ArFleet.IsvWebhook;

public static class WebhookRegistration
{
    public static IHostApplicationBuilder AddWebhookDelivery(this IHostApplicationBuilder builder)
    {
        var allowLoopback = builder.Environment.IsDevelopment() && builder.Configuration.GetValue<bool>("Webhooks:AllowLoopback");
        builder.Services.Configure<WebhookOptions>(builder.Configuration.GetSection("Webhooks"));
        builder.Services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidation>();
        builder.Services.AddOptions<WebhookOptions>().ValidateOnStart();
        builder.Services.PostConfigure<WebhookOptions>(o => o.AllowLoopback = allowLoopback); // never outside Development
        // The binder appends a configured array to the default one: a configured schedule replaces the default instead.
        if (builder.Configuration.GetSection("Webhooks:RetrySchedule").Get<TimeSpan[]>() is { Length: > 0 } schedule)
            builder.Services.PostConfigure<WebhookOptions>(o => o.RetrySchedule = schedule);
        builder.Services.AddSingleton<HostResolver>(GuardedConnector.SystemResolver);
        var allowAnyPort = builder.Environment.IsDevelopment(); // local receivers listen wherever they like
        builder.Services.AddSingleton(sp => new GuardedConnector(sp.GetRequiredService<HostResolver>(), allowLoopback, sp.GetService<SocketConnector>(),
            allowAnyPort));
        builder.Services.AddSingleton<EndpointStore>().AddSingleton<DeliveryQueue>().AddSingleton<IsvGrantStore>().AddSingleton<WebhookFanOut>()
            .AddSingleton<EndpointDisabler>().AddSingleton<EndpointIsolation>().AddSingleton<EndpointSecrets>();
        // Secrets are encrypted with a key ring kept in the service's own database, shared by every instance.
        builder.Services.AddDataProtection().SetApplicationName("arfleet-isv-webhook");
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<NpgsqlDataSource>((o, db) => o.XmlRepository = new PostgresXmlRepository(db));
#pragma warning disable EXTEXP0001 // experimental API: the only way to opt one client out of the service-wide resilience defaults
        builder.Services.AddHttpClient(DeliveryDispatcher.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllResilienceHandlers() // deliveries have their own durable retry schedule and per-endpoint pipeline
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = sp.GetRequiredService<GuardedConnector>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            });
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<WebhookMetrics>().AddSingleton<DeliveryBookkeeping>();
        // Before the dispatcher, so that it stops after it and writes what the dispatcher's senders handed over.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeliveryBookkeeping>());
        builder.Services.AddHostedService<DeliveryDispatcher>().AddHostedService<DeliveryRetention>().AddHostedService<WebhookBacklogSampler>();
        return builder;
    }
}
