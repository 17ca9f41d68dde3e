using NanoFed.Bench;
using Xunit;

namespace NanoFed.Tests.Bench;

/// <summary>
/// Whether a forced OpenBLAS kernel is trusted: OpenBLAS must report the core asked for and its SGEMM must be within
/// γ_K of the float64 product. The last test runs the real check script, where /usr/bin/python3 has torch.
/// </summary>
public class PeerKernelTests
{
    private const string CheckLine = "sgemm check m=515 n=263 k=517: max error {0} of |A||B|";

    private static SgemmCheck Check(string error) => SgemmCheck.Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, CheckLine, error))!;

    [Fact]
    public void CheckLineGivesShapeAndError()
    {
        var check = Check("9.505e-08");
        Assert.Equal((515, 263, 517), (check.M, check.N, check.K));
        Assert.Equal(9.505e-08, check.MaxError);
        Assert.Null(SgemmCheck.Parse("torch 1.13.1\n"));
    }

    [Fact]
    public void BoundIsGammaKInFloat32()
    {
        double ku = 517 * Math.ScaleB(1.0, -24);
        Assert.Equal(ku / (1 - ku), Check("0").Bound);
    }

    [Fact]
    public void ForcedKernelWithinTheBoundIsTrusted() => Assert.Null(PeerKernel.Judge("SkylakeX", "Core: SkylakeX\n", Check("9.505e-08")));

    [Fact]
    public void CoreTypeNamesAreCaseInsensitive() => Assert.Null(PeerKernel.Judge("skylakex", "Core: SkylakeX\n", Check("1e-7")));

    [Theory]
    [InlineData("3.2e-05")]
    [InlineData("0.5")]
    [InlineData("inf")]
    [InlineData("nan")]
    public void ForcedKernelOutsideTheBoundIsRejected(string error) =>
        Assert.Contains("SGEMM is wrong", PeerKernel.Judge("SkylakeX", "Core: SkylakeX\n", Check(error)));

    [Fact]
    public void RefusedCoreTypeIsRejected() =>
        Assert.Contains("does not accept OPENBLAS_CORETYPE=Cooperlake",
            PeerKernel.Judge("Cooperlake", "Core not found: Cooperlake\nCore: Cooperlake\n", Check("1e-7")));

    [Fact]
    public void AnotherCoreThanAskedForIsRejected() =>
        Assert.Contains("ran Haswell, not SkylakeX", PeerKernel.Judge("SkylakeX", "Core: Haswell\n", Check("1e-7")));

    [Fact]
    public void NoCheckResultIsRejected() => Assert.Contains("no result", PeerKernel.Judge("SkylakeX", "Core: SkylakeX\n", null));

    [Fact]
    public void ForcedKernelIsPassedToEveryPeerProcess()
    {
        var forced = new PeerKernel("SkylakeX", true, "Haswell", Check("1e-7"), null);
        Assert.Equal("SkylakeX", forced.Environment["OPENBLAS_CORETYPE"]);
        Assert.Equal("2", forced.Environment["OPENBLAS_VERBOSE"]);
        Assert.StartsWith("OpenBLAS SkylakeX (forced with OPENBLAS_CORETYPE; OpenBLAS's own pick: Haswell;", forced.Describe());
        // Not forced: an OPENBLAS_CORETYPE inherited from the environment is removed, so OpenBLAS's own (checked) pick runs.
        Assert.Null(new PeerKernel("Cooperlake", false, "Cooperlake", null, null).Environment["OPENBLAS_CORETYPE"]);
    }

    [Fact]
    [Trait("Category", "Peer")]
    public void RealPeerReportsATrustedKernel()
    {
        if (!TorchAvailable(out string why)) Assert.Skip(why);
        string script = Peer.FindBenchScript(PeerKernel.Script) ?? throw new FileNotFoundException($"bench/{PeerKernel.Script} not found above the test binary");
        var cpu = CpuFeatures.Current();
        var kernel = PeerKernel.Detect(script, 1, cpu, out string? failure);

        Assert.True(kernel != null, failure);
        Assert.True(kernel.Check is { Passed: true }, kernel.Describe());
        // Forced exactly when OpenBLAS's own pick is narrower than the CPU and the forced kernel passed; otherwise the note says why not.
        string? upgrade = OpenBlasCore.Upgrade(kernel.DefaultCore, cpu);
        if (kernel.Forced) Assert.Equal(upgrade, kernel.Core);
        else Assert.True(upgrade is null || kernel.Note is not null, kernel.Describe());
        Assert.True(OpenBlasCore.Rank(kernel.Core) >= OpenBlasCore.Rank(kernel.DefaultCore));

        // Forcing the CPU's best core type is trusted on a CPU where it runs, whatever OpenBLAS picked on its own.
        if (OpenBlasCore.BestFor(cpu) is not { } best) return;
        var forced = new Dictionary<string, string?> { ["OPENBLAS_VERBOSE"] = "2", ["OPENBLAS_CORETYPE"] = best };
        var run = Peer.Execute(script, forced, ["1"], out failure);
        Assert.True(run is not null && failure is null, failure);
        Assert.Null(PeerKernel.Judge(best, run.Value.Error, SgemmCheck.Parse(run.Value.Output)));
    }

    private static bool TorchAvailable(out string why)
    {
        const string python = "/usr/bin/python3";
        why = $"{python} not found";
        if (!File.Exists(python)) return false;
        var psi = new System.Diagnostics.ProcessStartInfo(python, ["-c", "import torch"]) { RedirectStandardError = true, UseShellExecute = false };
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        why = $"{python} has no torch module";
        return p.ExitCode == 0;
    }
}
