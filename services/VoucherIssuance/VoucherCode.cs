using System.Security.Cryptography;

namespace ArFleet.VoucherIssuance;

/// <summary>Voucher codes: 17 random characters of a 32-letter alphabet without 0/O and 1/I (85 bits from a
/// CSPRNG) and a Luhn mod-32 check character, which catches any single mistyped character and most swaps.</summary>
public static class VoucherCode
{
    public const string Alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    private const int RandomLength = 17;

    public static string New()
    {
        // One CSPRNG call per code, not one per character (each is a call into OpenSSL); 32 letters are 5 bits, so the
        // low 5 bits of a random byte pick one uniformly.
        Span<byte> random = stackalloc byte[RandomLength];
        RandomNumberGenerator.Fill(random);
        Span<char> code = stackalloc char[RandomLength + 1];
        for (var i = 0; i < RandomLength; i++) code[i] = Alphabet[random[i] & (Alphabet.Length - 1)];
        code[RandomLength] = CheckCharacter(code[..RandomLength]);
        return new string(code);
    }

    /// <summary>Upper-cases and drops spaces and dashes, as a person would type a code.</summary>
    public static string Normalize(string input) =>
        string.Concat(input.Where(c => c is not (' ' or '-')).Select(char.ToUpperInvariant));

    public static bool IsValid(string code) =>
        code.Length == RandomLength + 1 && code.All(c => Alphabet.Contains(c)) && CheckCharacter(code.AsSpan(0, RandomLength)) == code[^1];

    private static char CheckCharacter(ReadOnlySpan<char> payload)
    {
        var n = Alphabet.Length;
        int factor = 2, sum = 0;
        for (var i = payload.Length - 1; i >= 0; i--)
        {
            var addend = factor * Alphabet.IndexOf(payload[i]);
            factor = factor == 2 ? 1 : 2;
            sum += addend / n + addend % n;
        }
        return Alphabet[(n - sum % n) % n];
    }
}
