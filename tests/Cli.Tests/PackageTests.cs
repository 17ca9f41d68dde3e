using System.Diagnostics;
using Xunit;

namespace NanoFed.Tests.Cli;

/// <summary>
/// The packages as an outside user gets them: `dotnet pack` of the engine libraries and the CLI, then a console project
/// that references NanoFed.Federation by version only (no project reference, a package cache of its own) runs two
/// FedAvg rounds of the small CNN, and the tool package installs and runs as `nanofed`.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-pack-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Consumer = """
        using NanoFed;
        using NanoFed.Federation.Fl;
        using NanoFed.Federation.Ledger;
        using NanoFed.Federation.Partitioning;
        using NanoFed.Federation.Transport;
        using NanoFed.Nets.Data;
        using NanoFed.Nets.Modules;
        using NanoFed.Nets.Training;

        // Bars of ten classes over noise, 28x28 grey: enough for two FedAvg rounds of the small CNN to learn something.
        static ImageDataset Bars(int n, ulong seed)
        {
            var rng = new RngStream(seed, 1);
            var pixels = new byte[n * 784];
            var labels = new int[n];
            for (int i = 0; i < n; i++)
            {
                int c = labels[i] = rng.NextInt(10);
                for (int p = 0; p < 784; p++) pixels[i * 784 + p] = (byte)rng.NextInt(100);
                for (int y = 2 + c * 2; y < 6 + c * 2; y++)
                    for (int x = 4; x < 24; x++) pixels[i * 784 + y * 28 + x] = 250;
            }
            return new ImageDataset(pixels, labels, 1, 28, 28, 10);
        }

        var train = Bars(400, 1);
        var test = Bars(200, 2);
        var partition = new IidPartitioner(4).Split(train.Labels, 10, new RngStream(3, 0));
        Sequential Model() => ModelCatalog.Create("smallcnn", seed: 5);
        var strategy = new FedAvg(Model, [1, 28, 28], new FedAvgOptions(E: 1, B: 20, Lr: 0.05));
        var ledger = new TrafficLedger();
        var runner = new FlRunner(strategy, new ClientPopulation(train, partition, new Normalization([0.3f], [0.3f]), FedAvgClient.Factory(Model)),
            [("test", test)], perRound: 4, seed: 3, new InProcessTransport(ledger), ledger);
        var rounds = runner.Run(2);
        foreach (var r in rounds) Console.WriteLine($"round {r.Round}: accuracy {r.Accuracy:F3}, {r.Bytes} bytes");
        return rounds.Count == 2 && rounds[^1].Accuracy > 0.2 && ledger.Total() > 0 ? 0 : 1;
        """;

    [Fact]
    [Trait("Category", "EndToEnd")]
    public void AConsumerProjectBuildsAgainstThePackagesAndTheToolRuns()
    {
        string root = RepositoryRoot();
        string feed = Directory.CreateDirectory(Path.Combine(_dir, "feed")).FullName;
        // --no-build: the test run has built the solution; packing must not rebuild assemblies other tests are running.
        foreach (string project in new[] { "src/Tensor", "src/Autograd", "src/Nets", "src/Federation", "src/Cli" })
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
                <PackageReference Include="NanoFed.Federation" Version="0.1.0" />
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
        Assert.Matches(@"round 2: accuracy [\d.]+, \d+ bytes", output);

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
