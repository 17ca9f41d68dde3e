using System.Diagnostics;
using System.Runtime.Intrinsics;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Re-runs a test assembly's kernel tests in a child process with one instruction set switched off
/// (ImageSharp's FeatureTestRunner), so that every SIMD path is exercised on a machine that has the wider ones.
/// </summary>
public static class IsaChild
{
    /// <summary>Trait that marks the tests re-run under every setting.</summary>
    public const string Category = "Kernel";

    /// <summary>
    /// The settings: the runtime switch that turns a path off, and what that leaves active. Since .NET 10 the
    /// AVX-512 switch is DOTNET_EnableAVX512 (the older DOTNET_EnableAVX512F is inert, as the child's own check shows).
    /// </summary>
    public static readonly TheoryData<string, string> Settings = new()
    {
        { "DOTNET_EnableAVX512", "Vector256" },
        { "DOTNET_EnableAVX2", "Vector128" },
        { "DOTNET_EnableHWIntrinsic", "Scalar" },
    };

    /// <summary>Set in the child so that it does not spawn children of its own.</summary>
    public const string ChildMarker = "NANOFED_ISA_CHILD";

    /// <summary>
    /// Runs the Kernel-category tests of <paramref name="testAssembly"/> with <paramref name="switchName"/>=0
    /// and asserts they all pass and at least one ran. Skips (never passes silently) when this machine
    /// lacks the wider path, since switching it off would then test nothing new.
    /// </summary>
    public static void Run(string testAssembly, string switchName, string expectedIsa)
    {
        bool wider = switchName switch
        {
            "DOTNET_EnableAVX512" => Vector512.IsHardwareAccelerated,
            "DOTNET_EnableAVX2" => Vector256.IsHardwareAccelerated,
            _ => Vector128.IsHardwareAccelerated,
        };
        Assert.SkipUnless(wider, $"{switchName}=0 would not change the path on this machine ({Isa.Active})");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // An xunit v3 test assembly is its own runner.
        foreach (string a in new[] { testAssembly, "-trait", $"Category={Category}" })
            psi.ArgumentList.Add(a);
        psi.Environment[switchName] = "0";
        psi.Environment[ChildMarker] = expectedIsa;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string all = output + stderr.Result;
        Assert.True(p.ExitCode == 0, $"kernel tests failed with {switchName}=0:\n{Tail(all)}");
        Assert.Matches(@"Total: [1-9]\d*, Errors: 0, Failed: 0", all);
    }

    /// <summary>
    /// In a child, asserts that the runtime really took the expected path (a switch can go inert in a newer runtime);
    /// in the parent there is nothing to check, and the test says so as a skip rather than a pass.
    /// </summary>
    public static void AssertChildPath()
    {
        string? expected = Environment.GetEnvironmentVariable(ChildMarker);
        Assert.SkipWhen(expected is null, "checked only in the child processes of KernelTestsPassWithPathSwitchedOff");
        Assert.Equal(expected, Isa.Active);
    }

    private static string Tail(string s) => s.Length <= 4000 ? s : s[^4000..];
}
