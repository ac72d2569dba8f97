using ArFleet.VoucherIssuance;

namespace ArFleet.UnitTests;

public class VoucherCodeTests
{
    [Fact]
    public void New_codes_are_valid_readable_and_distinct()
    {
        var codes = Enumerable.Range(0, 20_000).Select(_ => VoucherCode.New()).ToList();
        Assert.All(codes, code =>
        {
            Assert.Equal(18, code.Length);
            Assert.True(VoucherCode.IsValid(code));
            Assert.DoesNotContain(code, c => c is '0' or 'O' or '1' or 'I');
        });
        Assert.Equal(codes.Count, codes.Distinct().Count());
    }

    [Fact]
    public void Any_single_mistyped_character_is_caught()
    {
        var code = VoucherCode.New();
        for (var position = 0; position < code.Length; position++)
            foreach (var replacement in VoucherCode.Alphabet.Where(c => c != code[position]))
            {
                var mistyped = code[..position] + replacement + code[(position + 1)..];
                Assert.False(VoucherCode.IsValid(mistyped), $"{mistyped} (from {code}) passed the check");
            }
    }

    [Fact]
    public void Codes_are_read_as_people_type_them()
    {
        var code = VoucherCode.New();
        var typed = $"{code[..6].ToLowerInvariant()} {code[6..12]}-{code[12..]}";
        Assert.Equal(code, VoucherCode.Normalize(typed));
    }
}
