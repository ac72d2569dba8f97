using ArFleet.Contracts;
using ArFleet.Images;
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
            var (image, problem) = await ImageUploads.ReadAsync(form.Files["image"], limits, ct);
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

        MapActivation(targets, "deactivate", TargetStatus.Active, TargetStatus.Inactive, "Only an active target can be deactivated");
        MapActivation(targets, "activate", TargetStatus.Inactive, TargetStatus.Active, "Only an inactive target can be activated");
    }

    /// <summary>Deactivating keeps the target (and its features in recognition) but stops recognising it; activating
    /// undoes that. Every recognition worker hears of it through TargetDeactivated / TargetActivated.</summary>
    private static void MapActivation(RouteGroupBuilder targets, string verb, string from, string to, string conflict) =>
        targets.MapPost($"/{{targetId:guid}}/{verb}", async (Guid targetId, HttpContext http, TargetStore store, IPublishEndpoint publish,
            CancellationToken ct) =>
        {
            var tenantId = http.User.TenantId();
            var existing = await store.GetAsync(tenantId, targetId, ct);
            if (existing is null) return Problems.NotFound("Target");
            if (!await store.TransitionAsync(tenantId, targetId, from, to, ct)) return Problems.Conflict(conflict, $"It is {existing.Status}.");
            try
            {
                var now = DateTimeOffset.UtcNow;
                if (to == TargetStatus.Inactive) await publish.Publish(new TargetDeactivated(targetId, tenantId, now), ct);
                else await publish.Publish(new TargetActivated(targetId, tenantId, now), ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Recognition would never hear of the change: take it back so that the brand's retry can make it.
                await store.TransitionAsync(tenantId, targetId, to, from, CancellationToken.None);
                return Problems.Unavailable($"The target could not be {verb}d; try again");
            }
            return await store.GetAsync(tenantId, targetId, ct) is { } target ? Results.Ok(target) : Problems.NotFound("Target");
        });
}
