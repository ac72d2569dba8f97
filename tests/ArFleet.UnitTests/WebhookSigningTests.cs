using ArFleet.IsvWebhook;
using ArFleet.Webhooks.Receiver;

namespace ArFleet.UnitTests;

public class WebhookSigningTests
{
    // The example of the Standard Webhooks specification.
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SpecTimestamp = 1614265330;
    private const string SpecBody = """{"test": 2432232314}""";
    private const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static readonly TimeProvider SpecTime = new FixedClock(DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp));

    [Fact]
    public void Signs_the_spec_example() =>
        Assert.Equal(SpecSignature, WebhookSigner.Sign(SpecSecret, SpecId, SpecTimestamp, SpecBody));

    [Fact]
    public void The_receiver_accepts_the_spec_example_among_other_signatures() =>
        new WebhookVerifier(SpecSecret, clock: SpecTime).Verify(SpecId, SpecTimestamp.ToString(), "v1,bm90IGl0 " + SpecSignature, SpecBody);

    [Theory]
    [InlineData(SpecId + "x", SpecBody)]
    [InlineData(SpecId, SpecBody + " ")]
    public void The_receiver_refuses_a_changed_message(string id, string body) =>
        Assert.Throws<WebhookVerificationException>(() =>
            new WebhookVerifier(SpecSecret, clock: SpecTime).Verify(id, SpecTimestamp.ToString(), SpecSignature, body));

    [Fact]
    public void The_receiver_refuses_stale_and_future_timestamps()
    {
        var late = new FixedClock(DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp).AddMinutes(6));
        var early = new FixedClock(DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp).AddMinutes(-6));
        Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier(SpecSecret, clock: late)
            .Verify(SpecId, SpecTimestamp.ToString(), SpecSignature, SpecBody));
        Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier(SpecSecret, clock: early)
            .Verify(SpecId, SpecTimestamp.ToString(), SpecSignature, SpecBody));
    }

    [Fact]
    public void New_secrets_carry_at_least_24_random_bytes()
    {
        var secret = WebhookSigner.NewSecret();
        Assert.StartsWith("whsec_", secret);
        Assert.True(Convert.FromBase64String(secret["whsec_".Length..]).Length >= 24);
        Assert.NotEqual(secret, WebhookSigner.NewSecret());
    }
}
