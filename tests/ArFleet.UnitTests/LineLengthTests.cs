using ArFleet.Testing;

namespace ArFleet.UnitTests;

/// <summary>.editorconfig's max_line_length, which the build cannot enforce: no C# line (outside build output) is longer.</summary>
public sealed class LineLengthTests
{
    private const int MaxLineLength = 160;
    private static readonly string[] Skipped = ["bin", "obj", ".git", "node_modules", ".arfleet"];

    [Fact]
    public void No_csharp_line_is_longer_than_160_characters()
    {
        var root = ServiceProcess.RepositoryRoot();
        var files = CSharpFiles(root).ToList();
        Assert.True(files.Count > 100, $"only {files.Count} .cs files found under {root}");
        var tooLong =
            from file in files
            from line in File.ReadLines(file).Select((text, index) => (Text: text, Number: index + 1))
            where line.Text.Length > MaxLineLength
            select $"{Path.GetRelativePath(root, file)}:{line.Number}: {line.Text.Length} characters";
        var found = tooLong.ToList();
        Assert.True(found.Count == 0, $"Lines over {MaxLineLength} characters (wrap them; docs/contributing.md):\n" + string.Join("\n", found));
    }

    private static IEnumerable<string> CSharpFiles(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.cs")) yield return file;
        foreach (var child in Directory.EnumerateDirectories(directory))
            if (!Skipped.Contains(Path.GetFileName(child)))
                foreach (var file in CSharpFiles(child)) yield return file;
    }
}
