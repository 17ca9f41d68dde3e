using System.Diagnostics;
using System.Runtime.InteropServices;
using NanoFed.Cli;
using NanoFed.Nets.Checkpoints;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// The NativeAOT build of the CLI as docs/deployment.md publishes it (linux-x64 at the project's default instruction
/// set, x86-64-v3): it publishes without trim or AOT warnings, its bench runs the JIT's SIMD width (capped at Vector256,
/// the widest x86-64-v3 has), a small training gives the bits of the same training in this process, and the cluster
/// commands, which it leaves out, refuse in one line.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class NativeAotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-aot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    [Trait("Category", "EndToEnd")]
    public void TheNativeBinaryRunsTheJitsSimdWidthAndGivesItsBits()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64,
            $"the test publishes for linux-x64, not {RuntimeInformation.RuntimeIdentifier}");
        string root = PackageTests.RepositoryRoot();
        // An artifacts folder of its own: publishing must not rebuild the assemblies that other tests are running.
        string publish = Exec(root, "dotnet", "publish", Path.Combine(root, "src", "Cli"), "-c", "Release", "-r", "linux-x64",
            "-p:PublishAot=true", "--artifacts-path", Path.Combine(_dir, "artifacts"), "-o", Path.Combine(_dir, "bin")).Out;
        Assert.DoesNotContain("warning IL", publish, StringComparison.Ordinal);
        string nanofed = Path.Combine(_dir, "bin", "nanofed");

        string width = Isa.Active == "Vector512" ? "Vector256" : Isa.Active;
        Assert.Contains($"peak ({width} FMA)", Exec(_dir, nanofed, "bench", "--only", "fma peak", "--no-peer", "--reps", "1").Out, StringComparison.Ordinal);

        string data = Path.Combine(_dir, "data");
        SyntheticFashionMnist.Write(data);
        string[] train = ["train", "--model", "smallcnn", "--data", data, "--epochs", "1", "--batch", "32", "--threads", "2", "--out"];
        Exec(_dir, nanofed, [.. train, Path.Combine(_dir, "native")]);
        var here = Run([.. train, Path.Combine(_dir, "jit")]);
        Assert.True(here.Code == 0, here.Err);
        var expected = SafeTensors.ReadRaw(Path.Combine(_dir, "jit", "final.safetensors")).Tensors;
        var actual = SafeTensors.ReadRaw(Path.Combine(_dir, "native", "final.safetensors")).Tensors;
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, tensor) in expected) Assert.True(tensor.Data.AsSpan().SequenceEqual(actual[name].Data), $"{name} differs");

        string[][] clusters =
        [
            ["silo"],
            ["gossip", "--cluster", "c"],
            ["fl", "--method", "fedavg", "--clients", "4", "--per-round", "2", "--rounds", "1", "--samples-per-client", "40", "--model", "smallcnn",
                "--data", data, "--out", Path.Combine(_dir, "fl"), "--cluster", "c"],
        ];
        foreach (string[] command in clusters)
        {
            var refused = Exec(_dir, nanofed, Program.BadInput, command);
            Assert.Contains("NativeAOT build", Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        }
    }

    private static (string Out, string Err) Exec(string workingDirectory, string file, params string[] args) =>
        Exec(workingDirectory, file, 0, args);

    private static (string Out, string Err) Exec(string workingDirectory, string file, int expectedCode, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == expectedCode, $"{file} {string.Join(' ', args)} exited {process.ExitCode}, expected {expectedCode}:\n{output}\n{error.Result}");
        return (output, error.Result);
    }
}
