using System.Diagnostics;
using System.Globalization;
using ArFleet.Contracts;
using ArFleet.Images;
using ArFleet.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Mvc;

namespace ArFleet.Ingest;

public static class ScanEndpoints
{
    public const int MaxWaitSeconds = 10;

    /// <summary>The scan body of API.md; the app tenant stays internal.</summary>
    public record ScanView(
        Guid ScanId, ScanStatus Status, ScanOutcome? Outcome, RecognizedTarget? Target, IssuedReward? Reward,
        CampaignAction? Action, string? TraceId, DateTimeOffset CreatedAt, DateTimeOffset? ResolvedAt);

    public static void MapScanEndpoints(this WebApplication app)
    {
        var scans = app.MapGroup("/v1/scans").WithTags("Scans").RequireAuthorization(ApiPolicies.App);
        var limits = app.Configuration.GetSection("Scans:ImageLimits").Get<ImageLimits>() ?? new ImageLimits();

        scans.MapPost("", async (HttpRequest request, [FromQuery] int? wait, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
            ScanStore store, ImageClaimCheck claimCheck, ScanWaiters waiters, ScanRateLimiter rateLimiter, IPublishEndpoint publish, CancellationToken ct) =>
        {
            if (WaitProblem(wait) is { } waitProblem) return waitProblem;
            if (idempotencyKey is { Length: 0 or > 200 }) return Problems.BadRequest("Invalid Idempotency-Key", "Use 1 to 200 characters.");
            if (!request.HasFormContentType)
                return Problems.BadRequest("Expected multipart/form-data", "Send the fields 'image', 'userId', 'deviceId' and optionally 'lat' and 'lon'.");
            IFormCollection form;
            try { form = await request.ReadFormAsync(ct); }
            catch (InvalidDataException e) { return Problems.BadRequest("The upload could not be read", e.Message); }

            var userId = form["userId"].ToString();
            var deviceId = form["deviceId"].ToString();
            if (userId.Length is 0 or > 128) return Problems.Invalid("userId", "1 to 128 characters are required");
            if (deviceId.Length is 0 or > 128) return Problems.Invalid("deviceId", "1 to 128 characters are required");
            if (ParseLocation(form["lat"].ToString(), form["lon"].ToString(), out var location) is { } locationProblem) return locationProblem;
            var (image, problem) = await ImageUploads.ReadAsync(form.Files["image"], limits, ct);
            if (problem is not null) return problem;

            var tenantId = request.HttpContext.User.TenantId();
            var scanId = Guid.CreateVersion7();
            if (idempotencyKey is not null && await store.ClaimIdempotencyKeyAsync(tenantId, idempotencyKey, scanId) is { } earlier)
                return await Answer(earlier, tenantId, wait, store, waiters, ct);
            if (await rateLimiter.TryAcquireAsync(tenantId, userId, deviceId) is { } retryAfter)
            {
                if (idempotencyKey is not null) await store.ReleaseIdempotencyKeyAsync(tenantId, idempotencyKey);
                request.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                return Results.Problem(title: "Too many scans", statusCode: StatusCodes.Status429TooManyRequests,
                    detail: "This user or device has scanned too often in the last minute; try again shortly.");
            }

            var scan = new ScanRecord(scanId, tenantId, ScanStatus.Processing, null, null, null, null,
                Activity.Current?.TraceId.ToString(), DateTimeOffset.UtcNow, null);
            try
            {
                var imageKey = await claimCheck.PutAsync(scanId, image!);
                await store.SaveAsync(scan);
                await publish.Publish(new ScanSubmitted(scanId, tenantId, userId, deviceId, location, imageKey, scan.CreatedAt), ct);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // Not accepted: leave nothing that would make a retry with the same key return a dead scan.
                await store.DeleteAsync(scanId);
                if (idempotencyKey is not null) await store.ReleaseIdempotencyKeyAsync(tenantId, idempotencyKey);
                return Problems.Unavailable("The scan could not be accepted right now; try again");
            }
            return await Answer(scanId, tenantId, wait, store, waiters, ct);
        }).DisableAntiforgery();

        scans.MapGet("/{scanId:guid}", async (Guid scanId, [FromQuery] int? wait, HttpContext http, ScanStore store, ScanWaiters waiters, CancellationToken ct) =>
            WaitProblem(wait) ?? await Answer(scanId, http.User.TenantId(), wait, store, waiters, ct));
    }

    /// <summary>200 with the result once resolved (waiting up to <paramref name="wait"/> seconds for it), else 202.</summary>
    private static async Task<IResult> Answer(Guid scanId, Guid tenantId, int? wait, ScanStore store, ScanWaiters waiters, CancellationToken ct)
    {
        var scan = await store.GetAsync(scanId);
        if (scan is null || scan.AppTenantId != tenantId) return Problems.NotFound("Scan");
        if (scan.Status == ScanStatus.Processing && wait > 0)
        {
            using var waiter = await waiters.RegisterAsync(scanId);
            scan = await store.GetAsync(scanId) ?? scan;
            if (scan.Status == ScanStatus.Processing)
            {
                try { await waiter.Resolved.WaitAsync(TimeSpan.FromSeconds(wait.Value), ct); }
                catch (TimeoutException) { }
                scan = await store.GetAsync(scanId) ?? scan;
            }
        }
        var view = new ScanView(scan.ScanId, scan.Status, scan.Outcome, scan.Target, scan.Reward, scan.Action, scan.TraceId, scan.CreatedAt, scan.ResolvedAt);
        return scan.Status == ScanStatus.Processing
            ? Results.Accepted($"/v1/scans/{scanId}", view)
            : Results.Ok(view);
    }

    private static IResult? WaitProblem(int? wait) =>
        wait is < 0 or > MaxWaitSeconds ? Problems.Invalid("wait", $"must be between 0 and {MaxWaitSeconds} seconds") : null;

    private static IResult? ParseLocation(string lat, string lon, out GeoPoint? location)
    {
        location = null;
        if (lat.Length == 0 && lon.Length == 0) return null;
        if (!double.TryParse(lat, NumberStyles.Float, CultureInfo.InvariantCulture, out var la) || la is < -90 or > 90)
            return Problems.Invalid("lat", "must be a number between -90 and 90, sent together with lon");
        if (!double.TryParse(lon, NumberStyles.Float, CultureInfo.InvariantCulture, out var lo) || lo is < -180 or > 180)
            return Problems.Invalid("lon", "must be a number between -180 and 180, sent together with lat");
        location = new GeoPoint(la, lo);
        return null;
    }
}
