using System.Security.Cryptography;
using System.Text;

namespace ArFleet.Ingest;

/// <summary>What an Idempotency-Key is bound to: the user, the device and the image. A retry sends the same three; a
/// key reused for anything else would otherwise be answered with another request's scan (voucher code included).</summary>
public static class ScanRequestHash
{
    public static byte[] Of(string userId, string deviceId, ReadOnlySpan<byte> image)
    {
        // Length-prefixed, so that no two (user, device) pairs encode alike.
        var identity = Encoding.UTF8.GetBytes($"{userId.Length}:{userId}|{deviceId.Length}:{deviceId}|");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(identity);
        hash.AppendData(SHA256.HashData(image));
        return hash.GetHashAndReset();
    }
}
