using ArFleet.Images;
using Microsoft.AspNetCore.Http;

namespace ArFleet.ServiceDefaults;

/// <summary>Image uploads of the HTTP endpoints, checked by ImageInspector.</summary>
public static class ImageUploads
{
    /// <summary>Reads an uploaded form file within the limits: the bytes, or the problem to answer with.</summary>
    public static async Task<(byte[]? Bytes, IResult? Problem)> ReadAsync(IFormFile? file, ImageLimits limits, CancellationToken cancellationToken)
    {
        if (file is null) return (null, Problems.BadRequest("No image was uploaded", "Send the image as the multipart field 'image'."));
        if (file.Length > limits.MaxBytes) return (null, Problems.BadRequest("The image is too large", $"The image is larger than {limits.MaxBytes} bytes."));
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        var error = ImageInspector.Check(bytes, limits, out _);
        return error is null ? (bytes, null) : (null, Problems.BadRequest("The image is not acceptable", error));
    }
}
