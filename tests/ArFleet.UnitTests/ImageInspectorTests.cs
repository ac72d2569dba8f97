using ArFleet.Images;
using ArFleet.Testing;
using OpenCvSharp;

namespace ArFleet.UnitTests;

public class ImageInspectorTests
{
    [Theory]
    [InlineData(".png", ImageFormat.Png)]
    [InlineData(".jpg", ImageFormat.Jpeg)]
    [InlineData(".webp", ImageFormat.WebP)]
    public void Reads_format_and_size_from_the_bytes(string extension, ImageFormat format)
    {
        using var image = new Mat(123, 321, MatType.CV_8UC3, OpenCvSharp.Scalar.All(90));
        var info = ImageInspector.Inspect(image.ImEncode(extension));
        Assert.Equal(new ImageInfo(format, 321, 123), info);
    }

    [Fact]
    public void Refuses_what_is_not_an_acceptable_image()
    {
        var limits = new ImageLimits(MaxBytes: 1000, MaxSide: 4000, MaxPixels: 1_000_000, MinSide: 32);
        Assert.Contains("empty", ImageInspector.Check([], limits, out _));
        Assert.Contains("not a JPEG, PNG or WebP", ImageInspector.Check("GIF89a........"u8, limits, out _));
        Assert.Contains("larger than", ImageInspector.Check(new byte[1001], limits, out _));
        Assert.Contains("at least", ImageInspector.Check(TestImages.Plain(20, 20), limits, out _));

        var bomb = TestImages.Plain(64, 64);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(16), 3000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(20), 3000);
        Assert.Contains("pixels", ImageInspector.Check(bomb, limits, out _));
        Assert.Null(ImageInspector.Check(TestImages.Plain(64, 64), limits, out var info));
        Assert.Equal(64, info!.Width);
    }

    [Fact]
    public void Mutated_headers_never_throw()
    {
        var random = new Random(3);
        var seeds = new[] { TestImages.Plain(64, 64), TestImages.UnrelatedPhoto(1, 120, 90) };
        for (var i = 0; i < 5000; i++)
        {
            var bytes = (byte[])seeds[i % seeds.Length].Clone();
            bytes = bytes[..random.Next(1, bytes.Length)];
            for (var flips = random.Next(1, 8); flips > 0; flips--) bytes[random.Next(Math.Min(bytes.Length, 64))] = (byte)random.Next(256);
            ImageInspector.Check(bytes, new ImageLimits(), out _);
        }
    }
}
