using Microsoft.Extensions.Options;

namespace ArFleet.IsvWebhook;

/// <summary>Refuses, at start, a lease too short for a claim to be sent and recorded before it runs out: the delivery
/// would come back and be sent again while its first send is still on its way.</summary>
public sealed class WebhookOptionsValidation : IValidateOptions<WebhookOptions>
{
    /// <summary>What a claim may wait, beyond the send's timeout and the record's flush, for a sender and the database.</summary>
    public static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(2);

    public ValidateOptionsResult Validate(string? name, WebhookOptions options) =>
        options.Lease > LeaseMargin + options.Timeout + options.FlushInterval
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Webhooks:Lease ({options.Lease}) must be longer than {LeaseMargin.TotalSeconds:0} s + Webhooks:Timeout ({options.Timeout}) " +
                $"+ Webhooks:FlushInterval ({options.FlushInterval}): a claim has to outlast its send and the record of it.");
}
