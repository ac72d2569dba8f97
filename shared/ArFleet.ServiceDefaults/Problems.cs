using Microsoft.AspNetCore.Http;

namespace ArFleet.ServiceDefaults;

/// <summary>RFC 7807 answers whose title says what was wrong (docs/api.md), typed by their status (ProblemResult).</summary>
public static class Problems
{
    public static BadRequestProblem BadRequest(string title, string? detail = null) =>
        new(Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status400BadRequest));

    public static NotFoundProblem NotFound(string what) =>
        new(Results.Problem(title: $"{what} not found", statusCode: StatusCodes.Status404NotFound));

    public static ConflictProblem Conflict(string title, string? detail = null) =>
        new(Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status409Conflict));

    public static UnprocessableProblem Unprocessable(string title, string? detail = null) =>
        new(Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status422UnprocessableEntity));

    /// <summary>The caller sets Retry-After.</summary>
    public static TooManyRequestsProblem TooManyRequests(string title, string? detail = null) =>
        new(Results.Problem(title: title, detail: detail, statusCode: StatusCodes.Status429TooManyRequests));

    /// <summary>A field-level validation failure: the field is named in the errors dictionary and the title.</summary>
    public static BadRequestProblem Invalid(string field, string message) =>
        new(Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: $"Invalid '{field}': {message}"));
}
