namespace ArFleet.Images;

public enum ImageFormat { Jpeg, Png, WebP }
