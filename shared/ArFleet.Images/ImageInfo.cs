namespace ArFleet.Images;

public record ImageInfo(ImageFormat Format, int Width, int Height);
