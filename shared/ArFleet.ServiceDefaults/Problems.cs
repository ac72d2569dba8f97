using Microsoft.AspNetCore.Http;

namespace ArFleet.ServiceDefaults;

/// <summary>RFC 7807 answers whose title says what was wrong (docs/api.md).</summary>
public static class Problems
{
    public static IResult BadRequest(string title, string? detail = null) =>
        Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status400BadRequest);

    public static IResult NotFound(string what) =>
        Results.Problem(title: $"{what} not found", statusCode: StatusCodes.Status404NotFound);

    public static IResult Conflict(string title, string? detail = null) =>
        Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status409Conflict);

    /// <summary>A field-level validation failure: the field is named in the errors dictionary and the title.</summary>
    public static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: $"Invalid '{field}': {message}");
}
