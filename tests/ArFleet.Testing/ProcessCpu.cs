using System.Globalization;

namespace ArFleet.Testing;

/// <summary>CPU time of processes from /proc (utime + stime, and what their waited-for children used), so a run can say
/// what each process spent per scan: CPU time, unlike wall time, is little moved by what else the machine runs.</summary>
public static class ProcessCpu
{
    private const double TicksPerMillisecond = 100 / 1000.0; // USER_HZ, 100 on Linux

    /// <summary>Milliseconds of CPU used so far by <paramref name="pid"/> and all its living descendants.</summary>
    public static double TreeMilliseconds(int pid)
    {
        var children = ChildrenByParent();
        double total = 0;
        var pending = new Stack<int>([pid]);
        while (pending.TryPop(out var next))
        {
            total += OwnMilliseconds(next);
            foreach (var child in children.GetValueOrDefault(next, [])) pending.Push(child);
        }
        return total;
    }

    /// <summary>The process listening on a loopback TCP port (a server: RabbitMQ's node, Redis, PostgreSQL's postmaster).</summary>
    public static int? ListenerOf(int port)
    {
        var inodes = new HashSet<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var localPort = int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber);
                if (localPort == port && fields[3] == "0A") inodes.Add(fields[9]); // 0A: LISTEN
            }
        }
        if (inodes.Count == 0) return null;
        foreach (var pid in Pids())
        {
            try
            {
                foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[") && inodes.Contains(target[8..^1]))
                        return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // gone, or not ours to read
        }
        return null;
    }

    private static double OwnMilliseconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name: state is field 3; utime, stime, cutime, cstime are 14 to 17.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[11..15].Sum(f => double.Parse(f, CultureInfo.InvariantCulture)) / TicksPerMillisecond;
        }
        catch (IOException) { return 0; } // exited meanwhile
    }

    private static Dictionary<int, List<int>> ChildrenByParent()
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var pid in Pids())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
                list.Add(pid);
            }
            catch (IOException) { }
        }
        return children;
    }

    private static IEnumerable<int> Pids() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!));
}
