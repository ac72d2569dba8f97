using System.Net;
using System.Text.Json.Nodes;
using ArFleet.Testing;

namespace ArFleet.FaultTests;

/// <summary>One fault under load, on a fleet of its own: a campaign whose budget is smaller than the load, scans from
/// 16 clients at once, the component killed with SIGKILL a few seconds in and started again, then every accepted scan
/// polled to its end, and the vouchers, their webhooks and a target uploaded after the restart checked.</summary>
public sealed class FaultScenario(PrivateServers servers)
{
    public const int Scans = 1000, Concurrency = 16, Budget = 100;
    public static readonly TimeSpan KillAfter = TimeSpan.FromSeconds(4), DownFor = TimeSpan.FromSeconds(3), DrainWithin = TimeSpan.FromMinutes(2);
    public static readonly string[] Servers = ["rabbitmq", "redis", "postgres"];

    public async Task<(FaultReport Report, List<string> Problems)> RunAsync(string fault)
    {
        await using var fleet = await Fleet.StartAsync(servers.Infrastructure, new Dictionary<string, string>
        {
            ["ArFleet__ConsoleTraces"] = "false",
            ["Webhooks__PollInterval"] = "00:00:00.200",
            ["Webhooks__RetrySchedule__0"] = "00:00:01",
            ["Webhooks__RetrySchedule__1"] = "00:00:02",
            ["Webhooks__RetrySchedule__2"] = "00:00:05",
            ["Webhooks__RetrySchedule__3"] = "00:00:10",
            ["Webhooks__Lease"] = "00:00:20", // a SIGKILLed isv-webhook's claims come back within the drain
        });
        try
        {
            return await RunOnFleetAsync(fleet, fault);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // What the services said is the only way to tell why a fleet on a CI machine did not do its work.
            throw new InvalidOperationException(e.Message + "\n" + ServiceTails(fleet), e);
        }
    }

    private async Task<(FaultReport Report, List<string> Problems)> RunOnFleetAsync(Fleet fleet, string fault)
    {
        using var client = new ArFleetClient(fleet);
        await using var receiver = await WebhookReceiver.StartAsync();
        var brand = await client.CreateTenantAsync("brand", "brand");
        var app = await client.CreateTenantAsync("app", "app");
        var (targetId, target) = await client.CreateActiveTargetAsync(brand.ApiKey, seed: 11);
        await client.RegisterWebhookAsync(brand.ApiKey, receiver.Url, "voucher.issued");
        // The load sends 16 photos from 1,000 users: the fraud policy's duplicate-image refusal would end it before the
        // budget is spent, so this campaign lets duplicates through (recognition still fingerprints every scan in Redis).
        var campaignId = await client.CreateCampaignAsync(brand.ApiKey,
            ArFleetClient.VoucherCampaign(targetId, Budget, ("fraud", new { duplicateImage = "ignore" })));
        var images = Enumerable.Range(0, 16).Select(i => TestImages.CameraScan(target, seed: 500 + i).Jpeg).ToList();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var load = new ScanLoad(http, fleet.Ingest, app.ApiKey);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        var submitting = load.SubmitAsync(images, Scans, Concurrency, stop.Token);

        await Task.Delay(KillAfter);
        if (Servers.Contains(fault)) await servers.KillAsync(fault);
        else fleet.Kill(fault);
        await Task.Delay(DownFor);
        if (Servers.Contains(fault)) await servers.StartAsync(fault);
        else await fleet.StartServiceAsync(fault);
        var restartedAt = DateTimeOffset.UtcNow;
        var uploadedAfterRestart = await UploadWithRetriesAsync(client, brand.ApiKey);

        var submissions = await submitting;
        var accepted = submissions.Where(s => s.Accepted).Select(s => s.ScanId!.Value).ToList();
        var scans = await load.PollUntilFinalAsync(accepted, restartedAt + DrainWithin, stop.Token);
        var drained = (DateTimeOffset.UtcNow - restartedAt).TotalSeconds;

        var vouchers = scans.Values.Select(s => (string?)s?["reward"]?["voucherCode"]).Where(c => c is not null).ToList();
        var webhooks = await receiver.WaitForAsync(r => VoucherWebhookIds(r).Count >= Budget, DrainWithin);
        var targetAfter = await client.WaitForTargetGradeAsync(brand.ApiKey, uploadedAfterRestart, DrainWithin);
        var campaign = await client.GetJsonAsync(fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey);

        var report = new FaultReport(fault, submissions.Count, accepted.Count,
            Count(scans.Values, s => (string?)s?["outcome"] ?? (string?)s?["status"] ?? "no answer"),
            Count(scans.Values.Where(s => (string?)s?["outcome"] == "failed"), s => (string?)s?["detail"] ?? "?"),
            Count(submissions.SelectMany(s => s.Refusals), r => r.Status is { } status ? $"{(int)status}" : "no answer"),
            vouchers.Count, vouchers.Distinct().Count(), Budget, VoucherWebhookIds(webhooks).Count, drained, (string?)targetAfter["status"] ?? "?",
            fleet.Restarts);

        var problems = new List<string>();
        var unfinished = scans.Values.Count(s => s is null || (string?)s["status"] is "processing" or "http404" || ((string?)s["status"])!.StartsWith("http"));
        if (unfinished > 0) problems.Add($"{unfinished} accepted scans did not reach a final outcome within {DrainWithin} of the restart");
        if (scans.Count != accepted.Count) problems.Add($"{accepted.Count - scans.Count} accepted scans were never answered");
        if (vouchers.Distinct().Count() != Budget || vouchers.Count != Budget)
            problems.Add($"{vouchers.Count} rewarded scans with {vouchers.Distinct().Count()} distinct vouchers; the budget is {Budget}");
        if ((int?)campaign["issued"] != Budget || (int?)campaign["remaining"] != 0)
            problems.Add($"the campaign reports issued {campaign["issued"]}, remaining {campaign["remaining"]}");
        var hooked = VoucherWebhookCodes(webhooks);
        if (VoucherWebhookIds(webhooks).Count != Budget || vouchers.Any(v => !hooked.Contains(v!)))
            problems.Add($"{VoucherWebhookIds(webhooks).Count} distinct voucher.issued webhooks for {Budget} vouchers");
        if ((string?)targetAfter["status"] is not ("active" or "rejected")) problems.Add($"the target uploaded after the restart is {targetAfter["status"]}");
        foreach (var (submission, refusal) in submissions.SelectMany(s => s.Refusals.Select(r => (s, r))).Where(p => p.r.Status is not null))
            if (refusal.Status != HttpStatusCode.ServiceUnavailable || refusal.ContentType != "application/problem+json" || !refusal.RetryAfter)
                problems.Add($"submission {submission.Index} answered {(int)refusal.Status!} {refusal.ContentType} " +
                    $"(Retry-After: {refusal.RetryAfter}): {refusal.Body}");
        if (fault != "ingest" && submissions.SelectMany(s => s.Refusals).FirstOrDefault(r => r.Status is null) is { } unanswered)
            problems.Add($"a submission got no answer though ingest was up: {unanswered.Error}");
        if (submissions.Count(s => !s.Accepted) is > 0 and var given)
            problems.Add($"{given} submissions were still refused after {ScanLoad.Attempts} tries");
        // Nothing in this load is bad data: a message set aside is one the fault made fail.
        foreach (var (queue, count) in await fleet.NonEmptyErrorQueuesAsync())
        {
            var first = (await fleet.PeekMessagesAsync(queue, 1)).FirstOrDefault();
            problems.Add($"{count} messages in {queue}, the first: {first?["properties"]?["headers"]?.ToJsonString()}");
        }
        foreach (var service in fleet.Services.Values)
            if (service.Output.Contains("usage telemetry", StringComparison.OrdinalIgnoreCase))
                problems.Add($"{service.Name} tried to send usage telemetry");
        if (problems.Count > 0) problems.Add(ServiceTails(fleet));
        return (report, problems);
    }

    private static string ServiceTails(Fleet fleet) =>
        string.Join("\n", fleet.Services.Values.Select(v => $"--- {v.Name}:\n{FirstFailures(v.Output)}{v.Tail(40)}"));

    /// <summary>A 500's exception is logged long before a busy log ends: the first few errors, each with the lines after it.</summary>
    private static string FirstFailures(string output)
    {
        var lines = output.Split('\n');
        return string.Concat(lines.Select((line, i) => (line, i)).Where(l => l.line.StartsWith("fail:", StringComparison.Ordinal)).Take(3)
            .Select(l => string.Join("\n", lines.Skip(l.i).Take(12)) + "\n...\n"));
    }

    /// <summary>Right after a restart the component may still be coming up: the upload is retried while it answers 503.</summary>
    private static async Task<Guid> UploadWithRetriesAsync(ArFleetClient client, string brandKey)
    {
        for (var attempt = 0; ; attempt++)
        {
            try { return await client.UploadTargetAsync(brandKey, "uploaded after the restart", TestImages.Target(seed: 12)); }
            catch (HttpRequestException) when (attempt < 30) { await Task.Delay(1000); }
        }
    }

    private static HashSet<string> VoucherWebhookIds(IEnumerable<WebhookReceiver.Received> received) =>
        [.. received.Where(r => r.Body.Contains("\"voucher.issued\"", StringComparison.Ordinal)).Select(r => r.Id ?? "")];

    private static HashSet<string> VoucherWebhookCodes(IEnumerable<WebhookReceiver.Received> received) =>
        [.. received.Select(r => JsonNode.Parse(r.Body)?["data"]?["voucher"]?["voucherCode"]?.GetValue<string>()).OfType<string>()];

    private static Dictionary<string, int> Count<T>(IEnumerable<T> items, Func<T, string> key) =>
        items.GroupBy(key).ToDictionary(g => g.Key, g => g.Count());
}
