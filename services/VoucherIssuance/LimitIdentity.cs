using ArFleet.Contracts;

namespace ArFleet.VoucherIssuance;

/// <summary>Who a campaign's limits count: a user or a device within the app (app tenant) that scanned, since apps
/// name their users independently and one app's "alice" is not another's.</summary>
public static class LimitIdentity
{
    public static string AppUser(this RewardRequested request) => $"{request.AppTenantId:N}:{request.UserId}";

    public static string AppDevice(this RewardRequested request) => $"{request.AppTenantId:N}:{request.DeviceId}";
}
