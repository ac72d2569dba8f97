using System.Drawing;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace ArFleet.ConsoleTests;

/// <summary>Debian's headless Chromium driven by Debian's chromedriver (no browser download), with a fresh profile;
/// screenshots go to the test output folder (TestResults/screenshots beside the project, or ARFLEET_SCREENSHOTS).</summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string profile = Directory.CreateTempSubdirectory("arfleet-chromium-").FullName;
    public ChromeDriver Driver { get; }
    public string ScreenshotFolder { get; }

    public Browser()
    {
        if (!File.Exists(ChromiumPath) || !File.Exists(DriverPath))
            throw new InvalidOperationException(
                $"{ChromiumPath} and {DriverPath} are needed: apt-get install chromium chromium-driver (./arfleet test installs them)");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            $"--user-data-dir={profile}", "--window-size=1280,1000",
            // Chromium's own test pattern as the camera, allowed without a prompt: the scanner's getUserMedia path.
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream");
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(90));
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(60);
        ScreenshotFolder = Environment.GetEnvironmentVariable("ARFLEET_SCREENSHOTS") is { Length: > 0 } folder ? folder
            : Path.Combine(Testing.ServiceProcess.RepositoryRoot(), "tests", "ArFleet.Console.Tests", "TestResults", "screenshots");
        Directory.CreateDirectory(ScreenshotFolder);
    }

    public void Open(Uri console, string hash) => Driver.Navigate().GoToUrl(new Uri(console, "/" + hash));

    public IWebElement Find(string css) => Until(d => d.FindElements(By.CssSelector(css)).FirstOrDefault(e => e.Displayed), $"'{css}' shown");

    /// <summary>Waits until <paramref name="condition"/> answers something other than null or false.</summary>
    public T Until<T>(Func<IWebDriver, T?> condition, string what, TimeSpan? timeout = null)
    {
        var wait = new WebDriverWait(Driver, timeout ?? Patience) { PollingInterval = TimeSpan.FromMilliseconds(200) };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try { return wait.Until(d => condition(d) is { } value && !(value is bool b && !b) ? value : default)!; }
        catch (WebDriverTimeoutException)
        {
            Screenshot($"timeout-{DateTime.UtcNow:HHmmss}");
            throw new TimeoutException(
                $"Waited {(timeout ?? Patience).TotalSeconds} s for {what}; the page says: {Driver.FindElement(By.TagName("main")).Text}");
        }
    }

    public string Screenshot(string name)
    {
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>At a phone's width (390 px, as an iPhone 14), for the screenshot of a page on a phone.</summary>
    public void PhoneWidth() => Driver.Manage().Window.Size = new Size(390, 844);

    public void DesktopWidth() => Driver.Manage().Window.Size = new Size(1280, 1000);

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
    }
}
