using System.Buffers.Binary;
using ArFleet.Recognition.Engine;
using ArFleet.Testing;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace ArFleet.Recognition.Tests;

/// <summary>Whatever bytes arrive, extraction either yields features or refuses the image with a reason:
/// it never throws anything else and never decodes a canvas beyond the limits.</summary>
public class RecognitionDecoderFuzzTests
{
    private readonly FeatureExtractor extractor = new(Options.Create(new RecognitionOptions()));

    [Fact]
    public void Thousands_of_mutated_images_are_decoded_or_refused_with_a_reason()
    {
        var random = new Random(42);
        byte[][] seeds = [Encoded(".png"), Encoded(".jpg"), Encoded(".webp")];
        var refused = 0;
        for (var i = 0; i < 3000; i++)
        {
            var image = Mutate(seeds[i % seeds.Length], random);
            try
            {
                using var features = i % 2 == 0 ? extractor.ExtractQuery(image) : extractor.ExtractTarget(image);
                Assert.True(features.Width <= 640 && features.Height <= 640);
            }
            catch (ImageRejectedException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                refused++;
            }
        }
        Assert.InRange(refused, 100, 2999); // the mutations do reach the decoder, and some images survive them
    }

    [Fact]
    public void Empty_non_image_truncated_and_bomb_files_are_refused_with_a_reason()
    {
        var png = TestImages.Target(1);
        var bomb = (byte[])png.Clone();
        BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(16), 60_000);
        BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(20), 60_000);
        (byte[] Bytes, string Reason)[] cases =
        [
            ([], "empty"),
            ("%PDF-1.7 not an image at all"u8.ToArray(), "not a JPEG, PNG or WebP"),
            (png[..40], "could not be decoded"),
            (bomb, "60000x60000"),
        ];
        foreach (var (bytes, reason) in cases)
            Assert.Contains(reason, Assert.Throws<ImageRejectedException>(() => extractor.ExtractQuery(bytes)).Message);
    }

    private static byte[] Encoded(string extension)
    {
        using var image = Cv2.ImDecode(TestImages.Target(7, 160, 120), ImreadModes.Color);
        return image.ImEncode(extension);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(4))
        {
            case 0: // flipped bytes anywhere, headers included
                for (var n = random.Next(1, 12); n > 0; n--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 1: // truncated
                return bytes[..random.Next(bytes.Length)];
            case 2: // a run of garbage in the middle
                var at = random.Next(bytes.Length);
                var garbage = new byte[random.Next(1, 200)];
                random.NextBytes(garbage);
                return [.. bytes[..at], .. garbage, .. bytes[at..]];
            default: // dimensions in the header rewritten
                if (bytes.Length > 24) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(random.Next(2) == 0 ? 16 : 20), random.Next());
                return bytes;
        }
    }
}
