using ArFleet.Contracts;
using ArFleet.ServiceDefaults;
using MassTransit;

namespace ArFleet.CampaignRules;

public static class TargetEndpoints
{
    public record TargetAccepted(Guid TargetId, string Status);

    public static void MapTargetEndpoints(this WebApplication app)
    {
        var targets = app.MapGroup("/v1/targets").WithTags("Targets").RequireAuthorization(ApiPolicies.Brand);
        var limits = app.Configuration.GetSection("Targets:ImageLimits").Get<ImageLimits>() ?? new ImageLimits();

        targets.MapPost("", async (HttpRequest request, TargetStore store, IPublishEndpoint publish, CancellationToken ct) =>
        {
            if (!request.HasFormContentType)
                return Problems.BadRequest("Expected multipart/form-data", "Send the fields 'image' and 'name'.");
            var form = await request.ReadFormAsync(ct);
            var name = form["name"].ToString().Trim();
            if (name.Length is 0 or > 200) return Problems.Invalid("name", "a name of 1 to 200 characters is required");
            var (image, problem) = await ImageInspector.ReadUploadAsync(form.Files["image"], limits, ct);
            if (problem is not null) return problem;

            var tenantId = request.HttpContext.User.TenantId();
            var targetId = Guid.CreateVersion7();
            await store.CreateAsync(targetId, tenantId, name, ct);
            try
            {
                await publish.Publish(new TargetImageSubmitted(targetId, tenantId, image!, DateTimeOffset.UtcNow), ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Without the event the target would stay pending forever: take it back and say so.
                await store.RemoveAsync(targetId, CancellationToken.None);
                return Problems.Unavailable("The target could not be queued for grading; try again");
            }
            return Results.Accepted($"/v1/targets/{targetId}", new TargetAccepted(targetId, TargetStatus.Pending));
        }).DisableAntiforgery();

        targets.MapGet("", async (HttpContext http, TargetStore store, CancellationToken ct) =>
            Results.Ok(await store.ListAsync(http.User.TenantId(), ct)));

        targets.MapDelete("/{targetId:guid}", async (Guid targetId, HttpContext http, TargetStore store, CampaignStore campaigns,
            IPublishEndpoint publish, CancellationToken ct) =>
        {
            var tenantId = http.User.TenantId();
            if (await store.GetAsync(tenantId, targetId, ct) is null) return Problems.NotFound("Target");
            var users = await campaigns.UnendedUsingTargetAsync(targetId, ct);
            if (users.Count > 0)
                return Problems.Conflict("The target is in use", $"End or change these campaigns first: {string.Join(", ", users)}.");
            if (!await store.MarkDeletedAsync(tenantId, targetId, ct)) return Problems.NotFound("Target");
            await publish.Publish(new TargetDeleted(targetId, tenantId, DateTimeOffset.UtcNow), ct);
            return Results.NoContent();
        });

        targets.MapGet("/{targetId:guid}", async (Guid targetId, HttpContext http, TargetStore store, CancellationToken ct) =>
            await store.GetAsync(http.User.TenantId(), targetId, ct) is { } target ? Results.Ok(target) : Problems.NotFound("Target"));
    }
}
