using System.Diagnostics;
using Xunit;

namespace NanoFed.Tests.Cli;

/// <summary>
/// The packages as an outside user gets them: `dotnet pack` of the engine libraries and the CLI, then a console project
/// that references NanoFed.Nets by version only (no project reference, a package cache of its own) trains a few steps,
/// and the tool package installs and runs as `nanofed`.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-pack-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Consumer = """
        using NanoFed;
        using NanoFed.Autograd;
        using NanoFed.Nets.Optim;
        using NanoFed.Nets.Training;

        var model = ModelCatalog.Create("smallcnn", seed: 1);
        var sgd = new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9);
        var tape = new Tape();
        var images = Tensor.Zeros(new Shape(8, 1, 28, 28));
        var pixels = images.Span;
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (i / 784 + i % 28) % 5 * 0.2f;
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 7];
        float first = 0, last = 0;
        for (int step = 0; step < 30; step++)
        {
            tape.Reset();
            model.ZeroGrad();
            var loss = tape.CrossEntropy(model.Forward(tape, new Variable(images)), labels);
            tape.Backward(loss);
            sgd.Step();
            last = loss.Data.Span[0];
            if (step == 0) first = last;
        }
        Console.WriteLine($"loss {first} -> {last}");
        return last < first / 2 ? 0 : 1;
        """;

    [Fact]
    [Trait("Category", "EndToEnd")]
    public void AConsumerProjectBuildsAgainstThePackagesAndTheToolRuns()
    {
        string root = RepositoryRoot();
        string feed = Directory.CreateDirectory(Path.Combine(_dir, "feed")).FullName;
        // --no-build: the test run has built the solution; packing must not rebuild assemblies other tests are running.
        foreach (string project in new[] { "src/Tensor", "src/Autograd", "src/Nets", "src/Cli" })
            Dotnet(root, "pack", Path.Combine(root, project), "-c", "Release", "--no-build", "-o", feed);

        string app = Directory.CreateDirectory(Path.Combine(_dir, "app")).FullName;
        File.WriteAllText(Path.Combine(app, "app.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="NanoFed.Nets" Version="0.1.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), Consumer);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        string output = Dotnet(app, "run", "-c", "Release");
        Assert.Matches(@"loss [\d.]+ -> [\d.]+", output);

        string tools = Path.Combine(_dir, "tools");
        Dotnet(app, "tool", "install", "nanofed", "--version", "0.1.0", "--tool-path", tools, "--add-source", feed);
        string help = Run(Path.Combine(tools, "nanofed"), app, "--help");
        Assert.Contains("nanofed [command] [options]", help, StringComparison.Ordinal);
    }

    private string Dotnet(string workingDirectory, params string[] args) => Run("dotnet", workingDirectory, args);

    /// <summary>Runs a process with its own package cache (a stale NanoFed 0.1.0 in the user's cache must not be used).</summary>
    private string Run(string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["NUGET_PACKAGES"] = Path.Combine(_dir, "packages");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{output}\n{error.Result}");
        return output;
    }

    internal static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "NanoFed.sln"))) return d.FullName;
        throw new InvalidOperationException("NanoFed.sln not found above the test assembly");
    }
}
