using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ArFleet.Testing;

/// <summary>A local ISV endpoint on loopback that records every request; Respond decides each answer.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public record Received(string? Id, string? Timestamp, string? Signature, string? TraceParent, string Body, DateTimeOffset At);

    private readonly WebApplication app;
    private readonly CancellationTokenSource stopping = new();
    public ConcurrentQueue<Received> Requests { get; } = new();
    /// <summary>Status to answer (after an optional delay); 204 unless a test changes it.</summary>
    public Func<Received, Task<int>> Respond { get; set; } = _ => Task.FromResult(StatusCodes.Status204NoContent);
    public string Url { get; }

    /// <summary>A response that never comes (until the receiver is disposed): an endpoint that hangs.</summary>
    public Task<int> Hang() => Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => StatusCodes.Status503ServiceUnavailable);

    private WebhookReceiver(WebApplication app, string url)
    {
        this.app = app;
        Url = url;
    }

    /// <param name="port">A port to listen on, e.g. one an endpoint was registered with while the receiver was down.</param>
    public static async Task<WebhookReceiver> StartAsync(int? port = null)
    {
        port ??= Fleet.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, $"http://127.0.0.1:{port}/hooks");
        app.MapPost("/hooks", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var received = new Received(request.Headers["webhook-id"], request.Headers["webhook-timestamp"], request.Headers["webhook-signature"],
                request.Headers["traceparent"], await reader.ReadToEndAsync(), DateTimeOffset.UtcNow);
            receiver.Requests.Enqueue(received);
            return Results.StatusCode(await receiver.Respond(received));
        });
        await app.StartAsync();
        return receiver;
    }

    public async Task<List<Received>> WaitForAsync(Func<IReadOnlyCollection<Received>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done(Requests.ToArray()) && DateTime.UtcNow < deadline) await Task.Delay(100);
        return Requests.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await app.DisposeAsync();
        stopping.Dispose();
    }
}
