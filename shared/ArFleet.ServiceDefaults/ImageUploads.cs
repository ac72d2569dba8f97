using ArFleet.Images;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ArFleet.ServiceDefaults;

/// <summary>Image uploads of the HTTP endpoints, checked by ImageInspector.</summary>
public static class ImageUploads
{
    /// <summary>Room for the form's other fields and the multipart framing beside the image.</summary>
    public const int FormAllowance = 64 * 1024;

    /// <summary>Reads a multipart form whose body may be at most the image limit plus <see cref="FormAllowance"/>: a
    /// declared length beyond twice that is refused before a byte of it is read, and Kestrel stops reading a chunked
    /// body at the limit.
    /// The form, or the problem to answer with: 400, as for an image over the limit (docs/api.md), too large or unreadable.</summary>
    public static async Task<(IFormCollection? Form, BadRequestProblem? Problem)> ReadFormAsync(HttpRequest request, ImageLimits limits,
        CancellationToken cancellationToken)
    {
        long limit = limits.MaxBytes + FormAllowance;
        var bodySize = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature ? feature : null;
        if (bodySize is not null) bodySize.MaxRequestBodySize = limit;
        if (request.ContentLength > limit)
        {
            // A little over the limit (a photo too large, sent by an ordinary client) is read and dropped, so the client
            // gets its answer on a connection it can still read; anything larger is refused unread, and the connection
            // closes under it.
            if (request.ContentLength <= limit * 2 && bodySize is not null)
            {
                bodySize.MaxRequestBodySize = request.ContentLength;
                await request.Body.CopyToAsync(Stream.Null, cancellationToken);
            }
            return (null, TooLarge(limits));
        }
        request.HttpContext.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
        {
            MultipartBodyLengthLimit = limit,
            ValueLengthLimit = FormAllowance,
            ValueCountLimit = 32,
        }));
        try
        {
            return (await request.ReadFormAsync(cancellationToken), null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limits));
        }
        catch (InvalidDataException e)
        {
            return (null, Problems.BadRequest("The upload could not be read", e.Message));
        }
    }

    /// <summary>Reads an uploaded form file within the limits: the bytes, or the problem to answer with.</summary>
    public static async Task<(byte[]? Bytes, BadRequestProblem? Problem)> ReadAsync(IFormFile? file, ImageLimits limits, CancellationToken cancellationToken)
    {
        if (file is null) return (null, Problems.BadRequest("No image was uploaded", "Send the image as the multipart field 'image'."));
        if (file.Length > limits.MaxBytes) return (null, Problems.BadRequest("The image is too large", $"The image is larger than {limits.MaxBytes} bytes."));
        // The header first: dimensions beyond the pixel budget are refused before the whole file is even copied.
        var header = new byte[Math.Min(file.Length, 64 * 1024)];
        await using (var stream = file.OpenReadStream()) await stream.ReadExactlyAsync(header, cancellationToken);
        if (ImageInspector.Inspect(header) is { } info && ImageInspector.DimensionsProblem(info, limits) is { } tooBig)
            return (null, Problems.BadRequest("The image is not acceptable", tooBig));
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        var error = ImageInspector.Check(bytes, limits, out _);
        return error is null ? (bytes, null) : (null, Problems.BadRequest("The image is not acceptable", error));
    }

    private static BadRequestProblem TooLarge(ImageLimits limits) => Problems.BadRequest("The upload is too large",
        $"An upload may be at most {limits.MaxBytes} bytes of image and {FormAllowance} bytes of other fields.");
}
