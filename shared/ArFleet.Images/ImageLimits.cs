namespace ArFleet.Images;

/// <summary>Limits on uploaded images. MaxPixels guards the decoder against decompression bombs: a small
/// file that claims a huge canvas is refused from its header, before any pixel is decoded.</summary>
public record ImageLimits(int MaxBytes = 4 * 1024 * 1024, int MaxSide = 8192, long MaxPixels = 20_000_000, int MinSide = 32);
