using System.Globalization;
using System.Text.Json;

namespace NanoFed.Bench;

/// <summary>
/// The OpenBLAS kernel the PyTorch peers run, chosen so that the peer runs at its best on the machine. OpenBLAS
/// picks a kernel by CPU model and falls back to a narrower one for a model it does not know (Debian's 0.3.21 runs
/// its SSE3 Prescott kernel on Sapphire/Emerald Rapids). <see cref="Detect"/> reads the pick (OPENBLAS_VERBOSE=2),
/// and when it is narrower than the CPU allows (<see cref="OpenBlasCore.Upgrade"/>) runs again with the best core
/// type forced (OPENBLAS_CORETYPE), trusting it only when OpenBLAS reports that core and its SGEMM passes the
/// float64 check (<see cref="SgemmCheck"/>); otherwise the peers run OpenBLAS's own pick and the note says why.
/// </summary>
/// <param name="Core">The core type every peer run uses ("SkylakeX").</param>
/// <param name="Forced">Whether the bench forced it with OPENBLAS_CORETYPE.</param>
/// <param name="DefaultCore">OpenBLAS's own pick on this machine (with no OPENBLAS_CORETYPE).</param>
/// <param name="Check">The SGEMM check of <paramref name="Core"/>.</param>
/// <param name="Note">
/// Why the kernel is what it is when that is not plain: a rejected upgrade, or an OPENBLAS_CORETYPE inherited from
/// the environment, which the peers do not use (the bench chooses and checks the kernel itself).
/// </param>
internal sealed record PeerKernel(string Core, bool Forced, string DefaultCore, SgemmCheck? Check, string? Note)
{
    /// <summary>The check script, in bench/ beside the other peers.</summary>
    public const string Script = "torch_blas_check.py";

    private const string CoreTypeVariable = "OPENBLAS_CORETYPE";

    /// <summary>
    /// The variables every peer process gets: OPENBLAS_VERBOSE=2, so it reports its core, and OPENBLAS_CORETYPE set
    /// to the forced core, or removed (null) so that OpenBLAS's own pick, the one checked, runs.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Environment =>
        new Dictionary<string, string?> { ["OPENBLAS_VERBOSE"] = "2", [CoreTypeVariable] = Forced ? Core : null };

    /// <summary>The variables of a peer process when the kernel could not be checked: OpenBLAS picks, and reports its pick.</summary>
    public static IReadOnlyDictionary<string, string?> DefaultEnvironment { get; } = new Dictionary<string, string?> { ["OPENBLAS_VERBOSE"] = "2" };

    /// <summary>One line for the bench's output: "OpenBLAS SkylakeX (forced with OPENBLAS_CORETYPE; OpenBLAS's own pick: Haswell; ...)".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Forced) parts.Add($"forced with {CoreTypeVariable}");
        parts.Add(Forced ? $"OpenBLAS's own pick: {DefaultCore}" : "OpenBLAS's own pick");
        if (Check != null) parts.Add($"SGEMM vs float64: {Check}");
        if (Note != null) parts.Add(Note);
        return $"OpenBLAS {Core} ({string.Join("; ", parts)})";
    }

    /// <summary>Writes property "peerKernel" of the open JSON object.</summary>
    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject("peerKernel");
        json.WriteString("core", Core);
        json.WriteBoolean("forced", Forced);
        json.WriteString("defaultCore", DefaultCore);
        if (Check != null)
        {
            json.WriteBoolean("sgemmCheckPassed", Check.Passed);
            if (double.IsFinite(Check.MaxError)) json.WriteNumber("sgemmMaxError", Check.MaxError);
            json.WriteNumber("sgemmErrorBound", Check.Bound);
        }
        if (Note != null) json.WriteString("note", Note);
        json.WriteEndObject();
    }

    /// <summary>
    /// Null when a run asked for core <paramref name="requested"/> may be trusted: OpenBLAS reported that core in
    /// <paramref name="stderr"/> and <paramref name="check"/> passed; otherwise the reason it may not.
    /// </summary>
    public static string? Judge(string requested, string stderr, SgemmCheck? check)
    {
        var (core, refused) = OpenBlasCore.ParseVerbose(stderr);
        if (refused != null) return $"OpenBLAS does not accept {CoreTypeVariable}={refused}";
        if (core is null) return "OpenBLAS reported no core (not a DYNAMIC_ARCH build?)";
        if (!string.Equals(core, requested, StringComparison.OrdinalIgnoreCase)) return $"OpenBLAS ran {core}, not {requested}";
        if (check is null) return "the SGEMM check printed no result";
        return check.Passed ? null : $"its SGEMM is wrong ({check})";
    }

    /// <summary>
    /// Runs the check <paramref name="script"/> on <paramref name="threads"/> threads with OpenBLAS's own pick (any
    /// OPENBLAS_CORETYPE in our environment removed), then, when that pick is narrower than <paramref name="cpu"/>
    /// allows, with the best core type forced; returns the kernel the peers are to use, or null (with
    /// <paramref name="failure"/>) when the check cannot run.
    /// </summary>
    public static PeerKernel? Detect(string? script, int threads, CpuFeatures cpu, out string? failure)
    {
        string[] args = [threads.ToString(CultureInfo.InvariantCulture)];
        var own = new Dictionary<string, string?> { ["OPENBLAS_VERBOSE"] = "2", [CoreTypeVariable] = null };
        if (Peer.Execute(script, own, args, out failure) is not { } run) return null;
        if (failure != null) return null;
        var check = SgemmCheck.Parse(run.Output);
        if (OpenBlasCore.ParseVerbose(run.Error).Core is not { } core)
        {
            failure = "OpenBLAS reported no core with OPENBLAS_VERBOSE=2 (not a DYNAMIC_ARCH OpenBLAS?)";
            return null;
        }
        string? inherited = System.Environment.GetEnvironmentVariable(CoreTypeVariable) is { Length: > 0 } set
            ? $"{CoreTypeVariable}={set} in the environment not used" : null;
        if (check is { Passed: false })
            return new PeerKernel(core, false, core, check, Join("warning: OpenBLAS's own pick fails the SGEMM check", inherited));
        if (OpenBlasCore.Upgrade(core, cpu) is not { } best) return new PeerKernel(core, false, core, check, inherited);

        var forced = new Dictionary<string, string?>(own) { [CoreTypeVariable] = best };
        if (Peer.Execute(script, forced, args, out string? retryFailure) is not { } retry || retryFailure != null)
            return new PeerKernel(core, false, core, check, Join($"{best} not used: {retryFailure}", inherited));
        var forcedCheck = SgemmCheck.Parse(retry.Output);
        return Judge(best, retry.Error, forcedCheck) is { } reason
            ? new PeerKernel(core, false, core, check, Join($"{best} not used: {reason}", inherited))
            : new PeerKernel(best, true, core, forcedCheck, inherited);
    }

    private static string Join(string note, string? other) => other is null ? note : $"{note}; {other}";
}
