using System.Buffers.Binary;

namespace ArFleet.Images;

/// <summary>Sniffs the format from the bytes (never the file name) and reads the dimensions from the header.</summary>
public static class ImageInspector
{
    public static ImageInfo? Inspect(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 24 && data[..8].SequenceEqual(PngSignature) && data.Slice(12, 4).SequenceEqual("IHDR"u8))
            return new ImageInfo(ImageFormat.Png, ReadInt32BigEndian(data[16..]), ReadInt32BigEndian(data[20..]));
        if (data.Length >= 4 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
            return InspectJpeg(data);
        if (data.Length >= 30 && data[..4].SequenceEqual("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
            return InspectWebP(data);
        return null;
    }

    /// <summary>Null when acceptable, else a sentence saying what is wrong with the image.</summary>
    public static string? Check(ReadOnlySpan<byte> data, ImageLimits limits, out ImageInfo? info)
    {
        info = null;
        if (data.Length == 0) return "The image is empty.";
        if (data.Length > limits.MaxBytes) return $"The image is larger than {limits.MaxBytes} bytes.";
        info = Inspect(data);
        if (info is null) return "The file is not a JPEG, PNG or WebP image.";
        if (info.Width <= 0 || info.Height <= 0) return "The image header has no valid dimensions.";
        return DimensionsProblem(info, limits);
    }

    /// <summary>The pixel budget and side limits, from the header's dimensions alone: null when within them.</summary>
    public static string? DimensionsProblem(ImageInfo info, ImageLimits limits)
    {
        if (info.Width > limits.MaxSide || info.Height > limits.MaxSide || (long)info.Width * info.Height > limits.MaxPixels)
            return $"The image is {info.Width}x{info.Height}; at most {limits.MaxSide} px a side and {limits.MaxPixels} pixels are accepted.";
        if (info.Width < limits.MinSide || info.Height < limits.MinSide)
            return $"The image is {info.Width}x{info.Height}; at least {limits.MinSide} px a side is needed.";
        return null;
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static int ReadInt32BigEndian(ReadOnlySpan<byte> data)
    {
        var value = BinaryPrimitives.ReadUInt32BigEndian(data);
        return value > int.MaxValue ? int.MaxValue : (int)value;
    }

    private static ImageInfo? InspectJpeg(ReadOnlySpan<byte> data)
    {
        var i = 2;
        while (i + 9 < data.Length)
        {
            if (data[i] != 0xFF) { i++; continue; }
            var marker = data[i + 1];
            if (marker == 0xFF) { i++; continue; }
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) { i += 2; continue; } // markers without a length
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            var isStartOfFrame = marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            if (isStartOfFrame)
                return new ImageInfo(ImageFormat.Jpeg, BinaryPrimitives.ReadUInt16BigEndian(data[(i + 7)..]),
                    BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]));
            if (marker == 0xDA || length < 2) return null; // start of scan before any frame header
            i += 2 + length;
        }
        return null;
    }

    private static ImageInfo? InspectWebP(ReadOnlySpan<byte> data)
    {
        var chunk = data.Slice(12, 4);
        if (chunk.SequenceEqual("VP8 "u8))
            return new ImageInfo(ImageFormat.WebP, BinaryPrimitives.ReadUInt16LittleEndian(data[26..]) & 0x3FFF,
                BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) & 0x3FFF);
        if (chunk.SequenceEqual("VP8L"u8) && data[20] == 0x2F)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[21..]);
            return new ImageInfo(ImageFormat.WebP, (int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }
        if (chunk.SequenceEqual("VP8X"u8))
            return new ImageInfo(ImageFormat.WebP, ReadUInt24(data[24..]) + 1, ReadUInt24(data[27..]) + 1);
        return null;
    }

    private static int ReadUInt24(ReadOnlySpan<byte> data) => data[0] | data[1] << 8 | data[2] << 16;
}
