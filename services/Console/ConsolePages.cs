namespace ArFleet.Console;

/// <summary>The pages under wwwroot, served as they are (no build step). Keys are typed into them, so they may not be
/// framed by other sites nor run scripts or styles from anywhere but the console.</summary>
public static class ConsolePages
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

    public static WebApplication UseConsolePages(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers["Content-Security-Policy"] = ContentSecurityPolicy;
                headers["X-Content-Type-Options"] = "nosniff";
                headers["X-Frame-Options"] = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers.CacheControl = "no-cache"; // revalidated, so a changed page is seen at once
            },
        });
        return app;
    }
}
