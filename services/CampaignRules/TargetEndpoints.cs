using ArFleet.Contracts;
using ArFleet.Images;
using ArFleet.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ArFleet.CampaignRules;

public static class TargetEndpoints
{
    public record TargetAccepted(Guid TargetId, string Status);

    public static void MapTargetEndpoints(this WebApplication app)
    {
        var targets = app.MapGroup("/v1/targets").WithTags("Targets").RequireRateLimiting(ApiRateLimits.PerKey).RequireAuthorization(ApiPolicies.Brand);
        var limits = app.Configuration.GetSection("Targets:ImageLimits").Get<ImageLimits>() ?? new ImageLimits();

        targets.MapPost("", (HttpRequest request, TargetStore store, Outbox outbox, CancellationToken ct) => CreateAsync(request, limits, store, outbox, ct))
            .WithSummary("Upload a target image for recognition to grade")
            .DocumentsMultipartForm(
                new FormField("image", "The target: JPEG, PNG or WebP within Targets:ImageLimits", IsFile: true),
                new FormField("name", "1 to 200 characters"))
            .DisableAntiforgery();
        targets.MapGet("", ListAsync).WithSummary("List the brand's targets");
        targets.MapDelete("/{targetId:guid}", DeleteAsync).WithSummary("Delete a target no unended campaign uses");
        targets.MapGet("/{targetId:guid}", GetAsync).WithSummary("Get a target with its grade");
        targets.MapPost("/{targetId:guid}/deactivate", DeactivateAsync).WithSummary("Stop recognising an active target, keeping it");
        targets.MapPost("/{targetId:guid}/activate", ActivateAsync).WithSummary("Recognise an inactive target again");
    }

    private static async Task<Results<Accepted<TargetAccepted>, BadRequestProblem>> CreateAsync(HttpRequest request, ImageLimits limits,
        TargetStore store, Outbox outbox, CancellationToken ct)
    {
        if (!request.HasFormContentType)
            return Problems.BadRequest("Expected multipart/form-data", "Send the fields 'image' and 'name'.");
        var (form, formProblem) = await ImageUploads.ReadFormAsync(request, limits, ct);
        if (formProblem is not null) return formProblem;
        var name = form!["name"].ToString().Trim();
        if (name.Length is 0 or > 200) return Problems.Invalid("name", "a name of 1 to 200 characters is required");
        var (image, problem) = await ImageUploads.ReadAsync(form.Files["image"], limits, ct);
        if (problem is not null) return problem;

        var tenantId = request.HttpContext.User.TenantId();
        var targetId = Guid.CreateVersion7();
        // The target and its grading request commit together: a pending target always gets graded.
        await using (var transaction = await outbox.BeginAsync(ct))
        {
            await store.CreateAsync(transaction.Transaction, targetId, tenantId, name, ct);
            await transaction.PublishAsync(new TargetImageSubmitted(targetId, tenantId, image!, DateTimeOffset.UtcNow), ct);
            await transaction.CommitAsync(ct);
        }
        return TypedResults.Accepted($"/v1/targets/{targetId}", new TargetAccepted(targetId, TargetStatus.Pending));
    }

    private static async Task<Ok<List<TargetView>>> ListAsync(HttpContext http, TargetStore store, CancellationToken ct) =>
        TypedResults.Ok(await store.ListAsync(http.User.TenantId(), ct));

    private static async Task<Results<NoContent, NotFoundProblem, ConflictProblem>> DeleteAsync(Guid targetId, HttpContext http, TargetStore store,
        CampaignStore campaigns, Outbox outbox, CancellationToken ct)
    {
        var tenantId = http.User.TenantId();
        if (await store.GetAsync(tenantId, targetId, ct) is null) return Problems.NotFound("Target");
        var users = await campaigns.UnendedUsingTargetAsync(targetId, ct);
        if (users.Count > 0)
            return Problems.Conflict("The target is in use", $"End or change these campaigns first: {string.Join(", ", users)}.");
        await using var transaction = await outbox.BeginAsync(ct);
        if (!await store.MarkDeletedAsync(transaction.Transaction, tenantId, targetId, ct)) return Problems.NotFound("Target");
        await transaction.PublishAsync(new TargetDeleted(targetId, tenantId, DateTimeOffset.UtcNow), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<TargetView>, NotFoundProblem>> GetAsync(Guid targetId, HttpContext http, TargetStore store,
        CancellationToken ct) =>
        await store.GetAsync(http.User.TenantId(), targetId, ct) is { } target ? TypedResults.Ok(target) : Problems.NotFound("Target");

    private static Task<Results<Ok<TargetView>, NotFoundProblem, ConflictProblem>> DeactivateAsync(Guid targetId, HttpContext http,
        TargetStore store, Outbox outbox, CancellationToken ct) =>
        TransitionAsync(targetId, TargetStatus.Active, TargetStatus.Inactive, "Only an active target can be deactivated", http, store, outbox, ct);

    private static Task<Results<Ok<TargetView>, NotFoundProblem, ConflictProblem>> ActivateAsync(Guid targetId, HttpContext http,
        TargetStore store, Outbox outbox, CancellationToken ct) =>
        TransitionAsync(targetId, TargetStatus.Inactive, TargetStatus.Active, "Only an inactive target can be activated", http, store, outbox, ct);

    /// <summary>Deactivating keeps the target (and its features in recognition) but stops recognising it; activating
    /// undoes that. Every recognition worker hears of it through TargetDeactivated / TargetActivated.</summary>
    private static async Task<Results<Ok<TargetView>, NotFoundProblem, ConflictProblem>> TransitionAsync(Guid targetId, string from, string to,
        string conflict, HttpContext http, TargetStore store, Outbox outbox, CancellationToken ct)
    {
        var tenantId = http.User.TenantId();
        var existing = await store.GetAsync(tenantId, targetId, ct);
        if (existing is null) return Problems.NotFound("Target");
        await using (var transaction = await outbox.BeginAsync(ct))
        {
            if (!await store.TransitionAsync(transaction.Transaction, tenantId, targetId, from, to, ct))
                return Problems.Conflict(conflict, $"It is {existing.Status}.");
            var now = DateTimeOffset.UtcNow;
            object change = to == TargetStatus.Inactive ? new TargetDeactivated(targetId, tenantId, now) : new TargetActivated(targetId, tenantId, now);
            await transaction.PublishAsync(change, ct);
            await transaction.CommitAsync(ct);
        }
        return await store.GetAsync(tenantId, targetId, ct) is { } target ? TypedResults.Ok(target) : Problems.NotFound("Target");
    }
}
