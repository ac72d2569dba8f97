using Npgsql;

namespace ArFleet.IsvWebhook;

/// <summary>Turns one tenant's event into one delivery per subscribed, enabled endpoint of the tenant and of the ISVs
/// it granted access. The event id makes it idempotent: an event seen again adds nothing.</summary>
public sealed class WebhookFanOut(NpgsqlDataSource db, EndpointStore endpoints, DeliveryQueue queue)
{
    public async Task EnqueueAsync(Guid tenantId, string eventType, string eventId, string body, string? traceParent, CancellationToken cancellationToken)
    {
        // One transaction with the endpoints locked: an endpoint disabled or deleted meanwhile waits for the deliveries
        // to be in the queue, and then fails or deletes them with the rest.
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var subscribed = await endpoints.SubscribedAsync(tenantId, eventType, cancellationToken, transaction);
        if (subscribed.Length > 0) await queue.EnqueueAsync(subscribed, eventType, eventId, body, traceParent, cancellationToken, transaction);
        await transaction.CommitAsync(cancellationToken);
    }
}
