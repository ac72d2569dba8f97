using Npgsql;

namespace ArFleet.IsvWebhook;

/// <summary>Disables an endpoint that answered 410 or failed for Webhooks:DisableAfter: in one transaction it is marked
/// disabled, what it still had pending fails (replay sends it again once re-enabled), and the tenant's other enabled
/// endpoints get an <c>endpoint.disabled</c> notice whatever their filter.</summary>
public sealed class EndpointDisabler(NpgsqlDataSource db, EndpointStore endpoints, DeliveryQueue queue)
{
    /// <summary>False when it was already disabled (or deleted).</summary>
    public async Task<bool> DisableAsync(Guid endpointId, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await endpoints.DisableAsync(endpointId, reason, at, transaction, cancellationToken) is not var (tenantId, url)) return false;
        await queue.FailPendingAsync(endpointId, cancellationToken, transaction);
        var others = await endpoints.OtherEnabledAsync(tenantId, endpointId, transaction, cancellationToken);
        if (others.Length > 0)
        {
            var notice = WebhookEnvelope.Serialize(WebhookEventTypes.EndpointDisabled, at, new { endpointId, url, reason, disabledAt = at });
            await queue.EnqueueAsync(others, WebhookEventTypes.EndpointDisabled,
                $"{WebhookEventTypes.EndpointDisabled}:{endpointId}:{at.ToUnixTimeMilliseconds()}",
                notice, null, cancellationToken, transaction);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}
