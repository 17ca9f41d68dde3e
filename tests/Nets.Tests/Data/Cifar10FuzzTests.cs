using NanoFed.Nets;
using NanoFed.Nets.Data;
using NanoFed.Tests.Fuzzing;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Mutation fuzzing of the CIFAR-10 binary reader (<see cref="Fuzz"/>): a file of two records, read by
/// <see cref="Cifar10.ReadFile(string, Stream)"/> from memory (the path overload only opens the file); only
/// <see cref="DataFormatException"/> may come out, and a parse may allocate 4 bytes per input byte plus 64 KiB (the
/// error). Before the record buffer was cut to the file's records, a parse of two records allocated 3 MB.
/// </summary>
public class Cifar10FuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void RefusesOnlyWithDataFormatException()
    {
        var valid = new byte[2 * Cifar10.RecordBytes];
        for (int i = 0; i < valid.Length; i++) valid[i] = (byte)(i * 31);
        valid[0] = 3;
        valid[Cifar10.RecordBytes] = 9;
        Fuzz.Run<DataFormatException>(output, "cifar-10 binary", valid, [new(0, 1), new(Cifar10.RecordBytes, 1)],
            bytes => () => Cifar10.ReadFile("data_batch_1.bin", new MemoryStream(bytes)), n => 4L * n + 64 * 1024);
    }
}
