using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace NanoFed.Bench;

/// <summary>
/// The PyTorch peer: runs <c>/usr/bin/python3 torch_peer.py threads</c> (a read-only script shared by the team)
/// and collects its "name: X GFLOP/s" figures by name, plus its other lines verbatim, and the OpenBLAS core it ran.
/// </summary>
internal sealed partial class Peer
{
    /// <summary>GFLOP/s by case name (the text before the colon, e.g. "sgemm n=1024").</summary>
    public Dictionary<string, double> Gflops { get; } = [];

    /// <summary>Milliseconds by case name, from lines such as "resnet20 train step bs=128: 146 ms ...".</summary>
    public Dictionary<string, double> Milliseconds { get; } = [];

    /// <summary>Megabytes by name, from lines such as "resnet20 peak rss bs=128: 512.0 MB".</summary>
    public Dictionary<string, double> Megabytes { get; } = [];

    /// <summary>The peer's other output lines (version, conv timings, training steps).</summary>
    public List<string> Lines { get; } = [];

    /// <summary>The OpenBLAS core the run reported ("Core: Haswell" with OPENBLAS_VERBOSE=2), or null.</summary>
    public string? Core { get; private set; }

    /// <summary>Why there are no figures, when the peer could not run.</summary>
    public string? Failure { get; private set; }

    /// <summary>
    /// Finds shared/peers/torch_peer.py in the current directory or the nearest ancestor that has one (from the
    /// repository root this is ../shared/peers/torch_peer.py), else above the nanofed binary.
    /// </summary>
    public static string? FindDefault() => FindAbove(Path.Combine("shared", "peers", "torch_peer.py"));

    /// <summary>Adds another peer run's figures and lines to this one's.</summary>
    public void Add(Peer other)
    {
        foreach (var (name, value) in other.Gflops) Gflops[name] = value;
        foreach (var (name, value) in other.Milliseconds) Milliseconds[name] = value;
        foreach (var (name, value) in other.Megabytes) Megabytes[name] = value;
        Lines.AddRange(other.Lines);
        Failure ??= other.Failure;
        Core ??= other.Core;
    }

    /// <summary>Finds bench/<paramref name="fileName"/> (torch_conv_peer.py, torch_scaling_peer.py) as <see cref="FindDefault"/> finds the shared peer.</summary>
    public static string? FindBenchScript(string fileName) => FindAbove(Path.Combine("bench", fileName));

    /// <summary>The first existing <paramref name="relative"/> path in the current directory or an ancestor, then in the binary's directory or an ancestor.</summary>
    private static string? FindAbove(string relative)
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    /// <summary>A peer that could not run, for <paramref name="reason"/>.</summary>
    public static Peer Unavailable(string reason) => new() { Failure = reason };

    /// <summary>
    /// Runs peer <paramref name="script"/> (null: not found) with <paramref name="arguments"/> and
    /// <paramref name="environment"/> (<see cref="PeerSetup.Environment"/>) and parses what it prints.
    /// </summary>
    public static Peer Run(string? script, IReadOnlyDictionary<string, string?> environment, params IEnumerable<string> arguments)
    {
        var peer = new Peer();
        if (Execute(script, environment, arguments, out string? failure) is not { } run)
        {
            peer.Failure = failure;
            return peer;
        }
        peer.Failure = failure;
        peer.Core = OpenBlasCore.ParseVerbose(run.Error).Core;
        peer.Parse(run.Output);
        return peer;
    }

    /// <summary>
    /// Runs <c>/usr/bin/python3 script arguments</c> with <paramref name="environment"/> added to ours (a null value
    /// removes the variable) and returns what
    /// it printed; null when it could not start (no script, no python3). <paramref name="failure"/> says why, or why the
    /// run failed (a nonzero exit, no torch module); the output is returned in that case too.
    /// </summary>
    public static (string Output, string Error)? Execute(string? script, IReadOnlyDictionary<string, string?> environment,
        IEnumerable<string> arguments, out string? failure)
    {
        const string python = "/usr/bin/python3";
        failure = null;
        if (script is null || !File.Exists(script))
        {
            failure = script is null ? "peer script not found above the current directory or the nanofed binary" : $"peer script {script} not found";
            return null;
        }
        if (!File.Exists(python))
        {
            failure = $"{python} not found";
            return null;
        }
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(script);
        foreach (string a in arguments) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment)
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string err = stderr.Result;
        if (p.ExitCode != 0)
            failure = err.Contains("No module named 'torch'") ? "python3 has no torch module" : $"peer exited with {p.ExitCode}: {Last(err.Trim())}";
        return (output, err);
    }

    /// <summary>
    /// Adds the figures of a peer's <paramref name="output"/>: "name: X GFLOP/s", "name: X ms" and "name: X MB" lines
    /// by name; every line but the GFLOP/s ones is also kept in <see cref="Lines"/>.
    /// </summary>
    public void Parse(string output)
    {
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = Figure().Match(line);
            if (match.Success) Gflops[match.Groups[1].Value] = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            else Lines.Add(line);
            var ms = Time().Match(line);
            if (ms.Success) Milliseconds[ms.Groups[1].Value] = double.Parse(ms.Groups[2].Value, CultureInfo.InvariantCulture);
            var mb = Size().Match(line);
            if (mb.Success) Megabytes[mb.Groups[1].Value] = double.Parse(mb.Groups[2].Value, CultureInfo.InvariantCulture);
        }
    }

    private static string Last(string s) => s.Length <= 300 ? s : s[^300..];

    [GeneratedRegex(@"^([^:]+): ([0-9.]+) GFLOP/s")]
    private static partial Regex Figure();

    [GeneratedRegex(@"^([^:]+): ([0-9.]+) ms")]
    private static partial Regex Time();

    [GeneratedRegex(@"^([^:]+): ([0-9.]+) MB")]
    private static partial Regex Size();
}
