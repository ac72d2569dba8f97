using System.Diagnostics;
using System.Globalization;
using ArFleet.Contracts;
using ArFleet.Images;
using ArFleet.ServiceDefaults;
using MassTransit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using ScanAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<
    Microsoft.AspNetCore.Http.HttpResults.Ok<ArFleet.Ingest.ScanEndpoints.ScanView>,
    Microsoft.AspNetCore.Http.HttpResults.Accepted<ArFleet.Ingest.ScanEndpoints.ScanView>,
    ArFleet.ServiceDefaults.NotFoundProblem>;

namespace ArFleet.Ingest;

public static class ScanEndpoints
{
    public const int MaxWaitSeconds = 10;

    /// <summary>The scan body of docs/api.md; the app tenant stays internal.</summary>
    public record ScanView(
        Guid ScanId, ScanStatus Status, ScanOutcome? Outcome, RecognizedTarget? Target, IssuedReward? Reward,
        CampaignAction? Action, Guid? CampaignId, string? Detail, string? TraceId, DateTimeOffset CreatedAt, DateTimeOffset? ResolvedAt,
        FraudSignals? Fraud = null, RecognizedTarget[]? Targets = null);

    public static void MapScanEndpoints(this WebApplication app)
    {
        var scans = app.MapGroup("/v1/scans").WithTags("Scans").RequireRateLimiting(ApiRateLimits.PerKey).RequireAuthorization(ApiPolicies.App);
        var limits = app.Configuration.GetSection("Scans:ImageLimits").Get<ImageLimits>() ?? new ImageLimits();

        // The image limits are configuration read once here; the handler takes them from this lambda.
        scans.MapPost("", (HttpRequest request, [FromQuery] int? wait, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
                ScanStore store, ImageClaimCheck claimCheck, ScanWaiters waiters, ScanRateLimiter rateLimiter, IBusControl bus,
                ScanSubmissionMarks submissions, IOptions<ScanDeliveryOptions> delivery, CancellationToken ct) =>
                SubmitAsync(request, wait, idempotencyKey, limits, store, claimCheck, waiters, rateLimiter, bus, submissions, delivery, ct))
            .WithSummary("Submit a camera frame, waiting up to wait seconds for the result")
            .DocumentsMultipartForm(
                new FormField("image", "The camera frame: JPEG, PNG or WebP within Scans:ImageLimits", IsFile: true),
                new FormField("userId", "The app's user, 1 to 128 characters"),
                new FormField("deviceId", "The device, 1 to 128 characters"),
                new FormField("lat", "Latitude, -90 to 90, sent together with lon", Required: false, Type: JsonSchemaType.Number),
                new FormField("lon", "Longitude, -180 to 180, sent together with lat", Required: false, Type: JsonSchemaType.Number))
            .DisableAntiforgery();
        scans.MapGet("/{scanId:guid}", GetAsync).WithSummary("Get a scan's result, waiting up to wait seconds while it is processing");
    }

    private static async Task<Results<ScanAnswer, BadRequestProblem, UnprocessableProblem, TooManyRequestsProblem>> SubmitAsync(
        HttpRequest request, int? wait, string? idempotencyKey, ImageLimits limits, ScanStore store, ImageClaimCheck claimCheck,
        ScanWaiters waiters, ScanRateLimiter rateLimiter, IBusControl bus, ScanSubmissionMarks submissions, IOptions<ScanDeliveryOptions> delivery,
        CancellationToken ct)
    {
        if (WaitProblem(wait) is { } waitProblem) return waitProblem;
        if (idempotencyKey is { Length: 0 or > 200 }) return Problems.BadRequest("Invalid Idempotency-Key", "Use 1 to 200 characters.");
        if (!request.HasFormContentType)
            return Problems.BadRequest("Expected multipart/form-data", "Send the fields 'image', 'userId', 'deviceId' and optionally 'lat' and 'lon'.");
        var (form, formProblem) = await ImageUploads.ReadFormAsync(request, limits, ct);
        if (formProblem is not null) return formProblem;

        var userId = form!["userId"].ToString();
        var deviceId = form["deviceId"].ToString();
        if (userId.Length is 0 or > 128) return Problems.Invalid("userId", "1 to 128 characters are required");
        if (deviceId.Length is 0 or > 128) return Problems.Invalid("deviceId", "1 to 128 characters are required");
        if (ParseLocation(form["lat"].ToString(), form["lon"].ToString(), out var location) is { } locationProblem) return locationProblem;
        var (image, problem) = await ImageUploads.ReadAsync(form.Files["image"], limits, ct);
        if (problem is not null) return problem;

        var tenantId = request.HttpContext.User.TenantId();
        var requestHash = ScanRequestHash.Of(userId, deviceId, image!);
        // A retry of an accepted scan answers that scan and counts against no limit; the key with another request is refused.
        if (idempotencyKey is not null && await store.FindByIdempotencyKeyAsync(tenantId, idempotencyKey, ct) is { } earlier)
            return earlier.IsRetryOf(requestHash) ? await Answer(earlier.ScanId, tenantId, wait, store, waiters, ct) : KeyReused();
        if (await rateLimiter.TryAcquireAsync(tenantId, userId, deviceId) is { } retryAfter)
        {
            request.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
            return Problems.TooManyRequests("Too many scans", "This user or device has scanned too often in the last minute; try again shortly.");
        }

        // Accepted once both the frame (Redis) and the scan (PostgreSQL) are stored; a dependency that is down answers
        // 503 (DependencyUnavailableHandler). The broker is not needed to accept: the relay sends what it did not confirm.
        var scanId = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        var createdAt = now.AddTicks(-(now.Ticks % 10)); // whole microseconds, as PostgreSQL keeps it
        var traceId = Activity.Current?.TraceId.ToString();
        var imageKey = await claimCheck.PutAsync(scanId, image!);
        var scanRequest = new ScanRequest(tenantId, idempotencyKey, userId, deviceId, location, imageKey);
        if (await store.AddAsync(scanId, scanRequest, requestHash, traceId, createdAt, ct) is { } claimedBefore)
        {
            await claimCheck.RemoveAsync(imageKey);
            return claimedBefore.IsRetryOf(requestHash) ? await Answer(claimedBefore.ScanId, tenantId, wait, store, waiters, ct) : KeyReused();
        }
        // Waiting starts before the scan is sent, so that its result cannot be announced unheard: no first read needed.
        using var waiter = wait > 0 ? await waiters.RegisterAsync(scanId) : null;
        await PublishAsync(scanId, scanRequest, createdAt, submissions, bus, delivery.Value.PublishTimeout);
        var stored = new ScanRecord(scanId, tenantId, ScanStatus.Processing, null, null, null, null, traceId, createdAt, null);
        return await Answer(scanId, tenantId, wait, store, waiters, ct, stored, waiter);
    }

    private static async Task<Results<ScanAnswer, BadRequestProblem>> GetAsync(Guid scanId, [FromQuery] int? wait, HttpContext http,
        ScanStore store, ScanWaiters waiters, CancellationToken ct) =>
        WaitProblem(wait) is { } waitProblem ? waitProblem : await Answer(scanId, http.User.TenantId(), wait, store, waiters, ct);

    /// <summary>Publishes ScanSubmitted and records the broker's confirmation. While the broker is away or slow the scan
    /// stays unconfirmed and ScanSubmissionRelay sends it later: the request is not held up, nor refused.</summary>
    private static async Task PublishAsync(
        Guid scanId, ScanRequest request, DateTimeOffset createdAt, ScanSubmissionMarks submissions, IBusControl bus, TimeSpan timeout)
    {
        if (bus.CheckHealth().Status == BusHealthStatus.Unhealthy) return;
        using var publishTimeout = new CancellationTokenSource(timeout);
        try
        {
            await bus.Publish(request.ToEvent(scanId, createdAt), publishTimeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException || TransientFaults.IsTransient(e))
        {
            return;
        }
        submissions.Add(scanId);
    }

    /// <summary>200 with the result once resolved (waiting up to <paramref name="wait"/> seconds for it), else 202.
    /// <paramref name="known"/> is the scan as just stored, which needs no first read, and <paramref name="registered"/>
    /// a waiter registered before it was sent.</summary>
    private static async Task<ScanAnswer> Answer(Guid scanId, Guid tenantId, int? wait, ScanStore store, ScanWaiters waiters,
        CancellationToken ct, ScanRecord? known = null, ScanWaiters.Waiter? registered = null)
    {
        var scan = known ?? await store.GetAsync(scanId, ct);
        if (scan is null || scan.AppTenantId != tenantId) return Problems.NotFound("Scan");
        if (scan.Status == ScanStatus.Processing && wait > 0)
        {
            var deadline = DateTimeOffset.UtcNow.AddSeconds(wait.Value);
            using var registeredNow = registered is null ? await waiters.RegisterAsync(scanId) : null;
            var waiter = registered ?? registeredNow!;
            // Registered only now, it may have missed an announcement: read after registering.
            var read = registered is null;
            while (true)
            {
                if (read) scan = await store.GetAsync(scanId, ct) ?? scan;
                var left = deadline - DateTimeOffset.UtcNow;
                if (scan.Status != ScanStatus.Processing || left <= TimeSpan.Zero) break;
                // Handed the stored scan by this instance's consumer, or woken by another's announcement (then read), or
                // re-read at least every second in case the announcement was missed.
                if (await waiter.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), ct) is { } resolved)
                {
                    scan = resolved;
                    break;
                }
                read = true;
            }
        }
        var view = new ScanView(scan.ScanId, scan.Status, scan.Outcome, scan.Target, scan.Reward, scan.Action, scan.CampaignId, scan.Detail,
            scan.TraceId, scan.CreatedAt, scan.ResolvedAt, scan.Fraud, scan.Targets);
        return scan.Status == ScanStatus.Processing
            ? TypedResults.Accepted($"/v1/scans/{scanId}", view)
            : TypedResults.Ok(view);
    }

    private static UnprocessableProblem KeyReused() => Problems.Unprocessable("Idempotency-Key reused with a different request",
        "This Idempotency-Key was sent before with another user, device or image. A retry must send the same request; a new scan needs a new key.");

    private static BadRequestProblem? WaitProblem(int? wait) =>
        wait is < 0 or > MaxWaitSeconds ? Problems.Invalid("wait", $"must be between 0 and {MaxWaitSeconds} seconds") : null;

    private static BadRequestProblem? ParseLocation(string lat, string lon, out GeoPoint? location)
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
