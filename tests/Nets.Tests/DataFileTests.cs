using System.Diagnostics;
using NanoFed.Nets;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

/// <summary>Readers that open a path refuse what is not a regular file with data instead of blocking on it.</summary>
public class DataFileTests
{
    [Fact]
    public async Task FifoFolderAndEmptyFileAreRefusedByEveryReader()
    {
        using var dir = new TempDir();
        string fifo = dir.File("pipe"), empty = dir.File("empty");
        using (var mkfifo = Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        File.WriteAllBytes(empty, []);
        var readers = new (string Name, Action<string> Read)[]
        {
            ("safetensors", p => SafeTensors.Read(p)),
            ("idx", p => Idx.ReadFile(p, Idx.ImagesMagic)),
            ("cifar-10", p => Cifar10.ReadFile(p)),
        };
        foreach (var (name, read) in readers)
        {
            foreach (var (path, fault) in new[] { (fifo, "not a regular file"), (empty, "empty"), (dir.PathName, "") })
            {
                var refused = Task.Run(() => Assert.Throws<DataFormatException>(() => read(path)), TestContext.Current.CancellationToken);
                if (await Task.WhenAny(refused, Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken)) != refused)
                {
                    // Release the blocked open by writing into the FIFO, so the test fails instead of hanging the run.
                    await using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
                    Assert.Fail($"{name}: reading {path} still blocked after 60 s");
                }
                var e = await refused;
                Assert.StartsWith(path + ": ", e.Message);
                Assert.Contains(fault, e.Message);
            }
        }
    }
}
