using DotNet.Testcontainers.Configurations;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;
using Testcontainers.Redis;

namespace ArFleet.Testing;

/// <summary>The real RabbitMQ, Redis and PostgreSQL the tests run against: the servers `./arfleet test` started
/// (found through ARFLEET_* environment variables), or containers where a Docker engine answers.</summary>
public sealed class Infrastructure : IAsyncDisposable
{
    public required string RabbitMqUrl { get; init; }
    public required string RabbitMqManagementUrl { get; init; }
    public required string Redis { get; init; }
    public required string Postgres { get; init; }
    /// <summary>RabbitMQ's rabbitmq_prometheus endpoint (ARFLEET_RABBITMQ_PROMETHEUS_URL, which ./arfleet exports),
    /// where it is known.</summary>
    public string? RabbitMqPrometheusUrl { get; init; }
    private readonly List<IAsyncDisposable> containers = [];

    public static async Task<Infrastructure> StartAsync()
    {
        string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
        if (Env("ARFLEET_RABBITMQ_URL") is { } rabbit && Env("ARFLEET_RABBITMQ_MANAGEMENT_URL") is { } management
            && Env("ARFLEET_REDIS") is { } redis && Env("ARFLEET_POSTGRES") is { } postgres)
            return new Infrastructure
            {
                RabbitMqUrl = rabbit, RabbitMqManagementUrl = management, Redis = redis, Postgres = postgres,
                RabbitMqPrometheusUrl = Env("ARFLEET_RABBITMQ_PROMETHEUS_URL"),
            };

        if (TestcontainersSettings.OS.DockerEndpointAuthConfig is null)
            throw new InvalidOperationException(
                "No RabbitMQ, Redis and PostgreSQL to test against: run the tests with `./arfleet test`, which starts them, " +
                "or start them with `./arfleet up` and export ARFLEET_RABBITMQ_URL, ARFLEET_RABBITMQ_MANAGEMENT_URL, ARFLEET_REDIS " +
                "and ARFLEET_POSTGRES, or run where a Docker engine answers (Testcontainers).");
        return await StartContainersAsync();
    }

    private static async Task<Infrastructure> StartContainersAsync()
    {
        const int managementPort = 15672, prometheusPort = 15692; // the image enables rabbitmq_prometheus
        var rabbit = new RabbitMqBuilder("rabbitmq:3.13-management").WithPortBinding(managementPort, true).WithPortBinding(prometheusPort, true).Build();
        var redis = new RedisBuilder("redis:7.0").Build();
        var postgres = new PostgreSqlBuilder("postgres:15").Build();
        await Task.WhenAll(rabbit.StartAsync(), redis.StartAsync(), postgres.StartAsync());
        var infrastructure = new Infrastructure
        {
            RabbitMqUrl = rabbit.GetConnectionString(),
            RabbitMqManagementUrl = $"http://{rabbit.Hostname}:{rabbit.GetMappedPublicPort(managementPort)}",
            RabbitMqPrometheusUrl = $"http://{rabbit.Hostname}:{rabbit.GetMappedPublicPort(prometheusPort)}",
            Redis = redis.GetConnectionString(),
            Postgres = postgres.GetConnectionString(),
        };
        infrastructure.containers.AddRange([rabbit, redis, postgres]);
        return infrastructure;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var container in containers) await container.DisposeAsync();
    }
}
