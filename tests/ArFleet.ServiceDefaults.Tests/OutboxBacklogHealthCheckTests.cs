using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ArFleet.ServiceDefaults.Tests;

public class OutboxBacklogHealthCheckTests
{
    [Fact]
    public async Task The_check_is_degraded_once_the_oldest_pending_row_is_older_than_the_limit()
    {
        await using var bed = await OutboxTestBed.StartAsync();
        var check = new OutboxBacklogHealthCheck(bed.Db, Options.Create(new OutboxOptions { DegradedAfter = TimeSpan.FromSeconds(30) }));
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        await bed.CommitAsync(new OutboxProbe(1, Guid.NewGuid(), [], DateTimeOffset.UtcNow));
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        await using (var age = bed.Db.CreateCommand("UPDATE outbox_messages SET created_at = now() - interval '1 minute'"))
            await age.ExecuteNonQueryAsync();
        var result = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Equal(1L, result.Data["pending"]);
    }
}
