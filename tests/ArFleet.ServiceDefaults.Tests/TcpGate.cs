using System.Net;
using System.Net.Sockets;
using ArFleet.Testing;

namespace ArFleet.ServiceDefaults.Tests;

/// <summary>A port in front of a real server: nothing listens on it (the server is down, as a client of the port sees
/// it) until <see cref="Open"/>, then it forwards every connection to the server.</summary>
public sealed class TcpGate(string host, int port) : IAsyncDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly TcpListener listener = new(IPAddress.Loopback, Fleet.FreePort());

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public void Open()
    {
        listener.Start();
        _ = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stopping.Token); }
            catch (OperationCanceledException) { return; }
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(host, port, stopping.Token);
                await using var down = client.GetStream();
                await using var up = upstream.GetStream();
                await Task.WhenAny(down.CopyToAsync(up, stopping.Token), up.CopyToAsync(down, stopping.Token));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // one side closed: the other goes with it
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        stopping.Dispose();
    }
}
