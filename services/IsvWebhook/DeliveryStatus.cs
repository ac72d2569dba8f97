namespace ArFleet.IsvWebhook;

/// <summary>A delivery's status as stored in deliveries.status and shown in the delivery log. SQL uses these constants
/// too, so a name is spelled once.</summary>
public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}
