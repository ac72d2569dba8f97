using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ArFleet.Testing;
using ArFleet.Webhooks.Receiver;
using OpenQA.Selenium;

namespace ArFleet.ConsoleTests;

/// <summary>The console's pages in headless Chromium against a real fleet: what a brand, a consumer and an ISV do there.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsolePageTests(ConsoleFixture fixture) : IDisposable
{
    private Fleet Fleet => fixture.Fleet;
    private ArFleetClient Client => fixture.Client;
    private Browser Browser => fixture.Browser;
    private IWebDriver Driver => fixture.Browser.Driver;
    private readonly List<string> files = [];

    [Fact]
    public async Task A_brand_signs_in_with_the_keyboard_uploads_a_target_sees_its_grade_and_creates_a_campaign_after_a_field_error()
    {
        var brand = await Client.CreateTenantAsync("Console Tea", "brand");
        SignIn(brand.ApiKey, "01-sign-in");
        Browser.Find("#dropzone");

        Browser.Find("#target-files").SendKeys(TempFile("spring-poster.png", TestImages.Target(seed: 71)));
        var grade = Browser.Until(d => d.FindElements(By.CssSelector("#targets tr[data-target-id] .stars")).FirstOrDefault(), "the target's grade");
        Assert.InRange(int.Parse(grade.GetAttribute("data-grade")!), 1, 5);
        Assert.Equal("active", Browser.Find("#targets tr[data-target-id] .status").Text);
        Assert.Matches(@"^grade \d of 5$", grade.GetAttribute("aria-label"));
        Browser.Screenshot("02-targets");

        Browser.Open(Fleet.WebConsole, "#/campaigns/new");
        var name = Browser.Find("#f-name");
        name.SendKeys("Spring festival");
        var budget = Browser.Find("#f-budget");
        budget.Clear();
        budget.SendKeys("0");
        Browser.Find("#save-campaign").Click();
        // The API's validation, shown on the field it names.
        var error = Browser.Until(d => d.FindElements(By.Id("f-budget-error")).FirstOrDefault(e => e.Displayed), "the budget's error");
        Assert.Contains("reward.budget", error.Text);
        Assert.Equal("true", budget.GetAttribute("aria-invalid"));
        Browser.Screenshot("03-campaign-form-error");

        budget.Clear();
        budget.SendKeys("50");
        Browser.Find("#save-campaign").Click();
        Browser.Until(d => d.Url.Contains("#/campaigns/") && !d.Url.EndsWith("/new", StringComparison.Ordinal), "the new campaign's dashboard");
        Assert.Equal("Spring festival", Browser.Until(d => d.FindElement(By.TagName("h1")).Text is "Spring festival" ? "Spring festival" : null,
            "the campaign's name"));
        Assert.Equal("50", Browser.Find("#counter-remaining .value").Text);

        var campaigns = await Client.GetJsonAsync(Fleet.Campaigns, "/v1/campaigns", brand.ApiKey);
        Assert.Equal("Spring festival", (string?)campaigns["items"]![0]!["name"]);
        Browser.Open(Fleet.WebConsole, "#/campaigns");
        Browser.Find("#campaigns");
        Browser.Screenshot("04-campaigns");
    }

    [Fact]
    public async Task Editing_a_campaign_in_the_console_keeps_its_apps_and_fraud_policy_and_changes_what_was_edited()
    {
        var brand = await Client.CreateTenantAsync("Console Edit Brand", "brand");
        var app = await Client.CreateTenantAsync("Console Edit App", "app");
        var (targetId, _) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 74);
        var fraud = new Dictionary<string, object> { ["recapture"] = "flag", ["devices"] = "refuse", ["maxUsersPerDevice"] = 3 };
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey,
            ArFleetClient.VoucherCampaign(targetId, extra: [("apps", new[] { app.TenantId }), ("fraud", fraud)]));
        SignIn(brand.ApiKey, null);

        Browser.Open(Fleet.WebConsole, $"#/campaigns/{campaignId}/edit");
        Assert.Equal(app.TenantId.ToString(), Browser.Find("#f-apps").GetAttribute("value"));
        Assert.Equal("flag", Browser.Find("#f-fraud-recapture").GetAttribute("value"));
        Browser.Find("#f-fraud-duplicate").FindElement(By.CssSelector("option[value='ignore']")).Click();
        var name = Browser.Find("#f-name");
        name.Clear();
        name.SendKeys("Renamed in the console");
        Browser.Find("#save-campaign").Click();
        Browser.Until(d => d.Url.EndsWith($"#/campaigns/{campaignId}", StringComparison.Ordinal), "the campaign's dashboard");

        var saved = await Client.GetJsonAsync(Fleet.Campaigns, $"/v1/campaigns/{campaignId}", brand.ApiKey);
        Assert.Equal("Renamed in the console", (string?)saved["name"]);
        Assert.Equal(app.TenantId.ToString(), (string?)saved["apps"]![0]);
        Assert.Single(saved["apps"]!.AsArray());
        Assert.Equal("flag", (string?)saved["fraud"]!["recapture"]);
        Assert.Equal("ignore", (string?)saved["fraud"]!["duplicateImage"]);
        Assert.Equal("refuse", (string?)saved["fraud"]!["devices"]);
        Assert.Equal(3, (int?)saved["fraud"]!["maxUsersPerDevice"]);
    }

    [Fact]
    public async Task A_brand_uploading_a_poster_another_brand_registered_is_warned_on_its_target_without_naming_the_other()
    {
        var first = await Client.CreateTenantAsync("Console Poster Owner", "brand");
        var (_, poster) = await Client.CreateActiveTargetAsync(first.ApiKey, seed: 106);
        var second = await Client.CreateTenantAsync("Console Poster Agency", "brand");
        SignIn(second.ApiKey, null);

        Browser.Find("#target-files").SendKeys(TempFile("agency-poster.png", poster));
        var notice = Browser.Until(d => d.FindElements(By.CssSelector("#targets tr[data-target-id] .notice"))
            .FirstOrDefault(n => n.Text.Contains("Another brand")), "the shared-image warning");
        Assert.DoesNotContain("Console Poster Owner", notice.Text);
        Assert.Equal("active", Browser.Find("#targets tr[data-target-id] .status").Text);
        Browser.Screenshot("09-target-shared-with-another-brand");
    }

    [Fact]
    public async Task A_scan_sent_through_the_scanner_pages_file_input_shows_rewarded_and_the_voucher_and_the_dashboard_counts_it()
    {
        var brand = await Client.CreateTenantAsync("Scanner Tea", "brand");
        var app = await Client.CreateTenantAsync("Scanner App", "app");
        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 72);
        var campaignId = await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId, budget: 10));

        SignIn(brand.ApiKey, null);
        Browser.Open(Fleet.WebConsole, $"#/campaigns/{campaignId}");
        Assert.Equal("0", Browser.Find("#counter-rewarded .value").Text);
        var dashboard = Driver.CurrentWindowHandle;

        // The consumer, in another tab (its own session) at a phone's width.
        Driver.SwitchTo().NewWindow(WindowType.Tab);
        Browser.PhoneWidth();
        Browser.Open(Fleet.WebConsole, $"#/scan?key={app.ApiKey}&user=alice");
        var scan = TestImages.CameraScan(image, seed: 720);
        Browser.Find("#scan-file").SendKeys(TempFile("photo.jpg", scan.Jpeg));
        var outcome = Browser.Until(d => d.FindElements(By.CssSelector("#scan-outcome:not([data-outcome=processing])")).FirstOrDefault(), "the scan's outcome");
        Assert.Equal("rewarded", outcome.GetAttribute("data-outcome"));
        var code = Browser.Find("#voucher-code").Text;
        Assert.Matches("^[A-Z0-9-]{6,}$", code);
        Assert.Contains("5.00 CNY", Browser.Find("#voucher").Text);
        Assert.Equal("https://brand.example/landing", Browser.Find("#follow-action").GetAttribute("href"));
        var corners = JsonNode.Parse(Browser.Find("#scan-frame").GetAttribute("data-corners")!)!.AsArray();
        Assert.Equal(4, corners.Count);
        Assert.InRange((double)corners[0]![0]!, scan.Corners[0].X - 15, scan.Corners[0].X + 15);
        Browser.Screenshot("05-scanner-phone");
        Browser.DesktopWidth();
        Driver.Close();

        // The dashboard, left open, counts it by itself.
        Driver.SwitchTo().Window(dashboard);
        Browser.Until(d => d.FindElement(By.CssSelector("#counter-rewarded .value")).Text == "1", "the rewarded counter to reach 1");
        Assert.Equal("9", Browser.Find("#counter-remaining .value").Text);
        Assert.Equal("1", Browser.Find("#counter-recognised .value").Text);
        Browser.Screenshot("06-dashboard");

        var voucher = await Client.GetJsonAsync(Fleet.Vouchers, $"/v1/vouchers/{code}", brand.ApiKey);
        Assert.Equal(campaignId.ToString(), (string?)voucher["campaignId"]);
    }

    [Fact]
    public async Task The_scanner_sends_a_frame_from_the_camera_and_shows_its_outcome()
    {
        var app = await Client.CreateTenantAsync("Camera App", "app");
        Browser.Open(Fleet.WebConsole, $"#/scan?key={app.ApiKey}&user=carol");
        Browser.Find("#start-camera").Click();
        const string firstFrame = "const v = document.querySelector('video'); return v.readyState >= 2 && v.videoWidth > 0;";
        Browser.Until(d => ((IJavaScriptExecutor)d).ExecuteScript(firstFrame) is true ? "playing" : null, "the camera's first frame");
        Browser.Find("#capture").Click();
        var outcome = Browser.Until(d => d.FindElements(By.CssSelector("#scan-outcome:not([data-outcome=processing])")).FirstOrDefault(), "the scan's outcome");
        // Chromium's test pattern shows no registered target.
        Assert.Equal("unrecognized", outcome.GetAttribute("data-outcome"));
        Assert.True(Browser.Find("#scan-frame").Displayed);
    }

    [Fact]
    public async Task The_isv_portal_lists_a_failed_delivery_with_every_attempt_replays_it_and_sends_a_test_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var failing = true;
        receiver.Respond = _ => Task.FromResult(Volatile.Read(ref failing) ? 500 : 204);
        var brand = await Client.CreateTenantAsync("Portal Tea", "brand");
        var isv = await Client.CreateTenantAsync("Portal ISV", "isv");
        var app = await Client.CreateTenantAsync("Portal App", "app");
        using (var grant = await Client.SendAsync(HttpMethod.Post, Fleet.Campaigns, "/v1/isv-grants", brand.ApiKey,
            JsonContent.Create(new { isvTenantId = isv.TenantId })))
            await ArFleetClient.EnsureStatus(grant, HttpStatusCode.Created);

        SignIn(isv.ApiKey, null);
        Browser.Find("#f-endpoint-url").SendKeys(receiver.Url);
        Driver.FindElement(By.CssSelector("input[name=eventTypes][value='scan.resolved']")).Click(); // voucher.issued only
        Browser.Find("#add-endpoint").Click();
        var secret = Browser.Find("code.secret").Text;
        Assert.StartsWith("whsec_", secret);

        var (targetId, image) = await Client.CreateActiveTargetAsync(brand.ApiKey, seed: 73);
        await Client.CreateCampaignAsync(brand.ApiKey, ArFleetClient.VoucherCampaign(targetId));
        using (var scan = await Client.SubmitScanAsync(app.ApiKey, TestImages.CameraScan(image, seed: 730).Jpeg, "bob", "phone-b"))
            Assert.True(scan.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, $"the scan answered {scan.StatusCode}"); // 202 on a busy machine

        // Both attempts (the first, and the one retry the fixture allows) answered 500: the delivery failed, and the
        // portal shows it with both attempts.
        var row = RefreshUntil("tr[data-status=failed]", "the delivery failed after its retry", TimeSpan.FromSeconds(40));
        Assert.Contains("voucher.issued", row.Text);
        Assert.Equal("2", row.FindElements(By.TagName("td"))[2].Text);
        row.FindElement(By.TagName("summary")).Click();
        Assert.Equal(2, row.FindElement(By.TagName("ol")).FindElements(By.TagName("li")).Count(li => li.Text.Contains(": 500 in")));
        Browser.Screenshot("07-isv-portal-failed-delivery");

        // The ISV fixes its receiver and replays: the delivery is sent again and succeeds; the log keeps every attempt.
        Volatile.Write(ref failing, false);
        Driver.FindElement(By.XPath("//section[contains(@class,'endpoint')]//button[.='Replay']")).Click();
        Assert.Equal("Replayed 1 failed deliveries.", Browser.Find("[id^=replayed-]").Text);
        row = RefreshUntil("tr[data-status=succeeded]", "the replayed delivery succeeded", TimeSpan.FromSeconds(40));
        Assert.Equal("204", row.FindElements(By.TagName("td"))[3].Text);
        row.FindElement(By.TagName("summary")).Click();
        var log = row.FindElement(By.TagName("ol")).Text;
        Assert.Equal(2, log.Split('\n').Count(l => l.Contains(": 500 in")));
        Assert.Contains(": 204 in", log);
        Browser.Screenshot("08-isv-portal-replayed");

        var delivered = receiver.Requests.Last();
        new WebhookVerifier(secret).Verify(delivered.Id, delivered.Timestamp, delivered.Signature, delivered.Body);
        Assert.Equal("voucher.issued", (string?)JsonNode.Parse(delivered.Body)!["type"]);

        // A test event goes to this endpoint (whatever its event types), signed like the rest.
        Driver.FindElement(By.XPath("//section[contains(@class,'endpoint')]//button[.='Send test event']")).Click();
        Assert.Matches("^Test event msg_\\S+ queued\\.$", Browser.Find("[id^=tested-]").Text);
        var test = await receiver.WaitForAsync(r => r.Any(d => (string?)JsonNode.Parse(d.Body)!["type"] == "webhook.test"), TimeSpan.FromSeconds(30));
        var testDelivery = test.Last(d => (string?)JsonNode.Parse(d.Body)!["type"] == "webhook.test");
        new WebhookVerifier(secret).Verify(testDelivery.Id, testDelivery.Timestamp, testDelivery.Signature, testDelivery.Body);
        RefreshUntil("tr[data-status=succeeded]", "the test delivery in the log, delivered", containing: "webhook.test");
    }

    private IWebElement RefreshUntil(string css, string what, TimeSpan? timeout = null, string containing = "") =>
        Browser.Until(d =>
        {
            d.FindElement(By.XPath("//section[contains(@class,'endpoint')]//button[.='Refresh deliveries']")).Click();
            // The log is replaced when its answer arrives: read it only after that.
            Browser.Until(d2 => d2.FindElements(By.CssSelector("section.endpoint [aria-busy=true]")).Count == 0 ? "loaded" : null, "the delivery log");
            return d.FindElements(By.CssSelector(css)).FirstOrDefault(e => e.Text.Contains(containing));
        }, what, timeout);

    [Fact]
    public async Task The_console_proxies_only_the_public_v1_routes_and_passes_the_callers_key_through()
    {
        using var http = new HttpClient { BaseAddress = Fleet.WebConsole };
        using (var anonymous = await http.GetAsync("/api/campaigns/v1/targets"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var health = await http.GetAsync("/api/campaigns/health/ready"))
            Assert.Equal(HttpStatusCode.NotFound, health.StatusCode);
        var brand = await Client.CreateTenantAsync("Proxy Tea", "brand");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/campaigns/v1/tenants/me");
        request.Headers.Authorization = new("Bearer", brand.ApiKey);
        using var me = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal("Proxy Tea", (string?)(await me.Content.ReadFromJsonAsync<JsonObject>())!["name"]);
        using var page = await http.GetAsync("/");
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("<main id=\"main\"", await page.Content.ReadAsStringAsync());
    }

    /// <summary>Signs in as a user would, with the keyboard only: the key field has the focus, Enter submits.</summary>
    private void SignIn(string key, string? screenshot)
    {
        Driver.Navigate().GoToUrl(new Uri(Fleet.WebConsole, "/#/"));
        // A session left by the test before would have sent "#/" on to its own first page, where this sign-in would return.
        Browser.Driver.ExecuteScript("sessionStorage.clear(); location.hash = '#/';");
        Driver.Navigate().Refresh();
        var field = Browser.Until(d => d.SwitchTo().ActiveElement() is { } e && e.GetAttribute("id") == "sign-in-key" ? e : null, "the key field focused");
        if (screenshot is not null) Browser.Screenshot(screenshot);
        field.SendKeys(key + Keys.Enter);
        Browser.Until(d => d.FindElements(By.Id("who")).FirstOrDefault(e => e.Text.Contains("Sign out") || e.Text.Contains('(')), "signed in");
    }

    private string TempFile(string name, byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"arfleet-console-{Guid.NewGuid():N}-{name}");
        File.WriteAllBytes(path, bytes);
        files.Add(path);
        return path;
    }

    public void Dispose()
    {
        foreach (var file in files) File.Delete(file);
    }
}
