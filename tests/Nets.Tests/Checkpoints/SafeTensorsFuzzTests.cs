using NanoFed.Nets;
using NanoFed.Nets.Checkpoints;
using NanoFed.Tests.Fuzzing;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Mutation fuzzing of the safetensors reader (<see cref="Fuzz"/>): a file of F32, I64, I32 and U8 tensors with
/// metadata, read by <see cref="SafeTensors.Read(string, Stream)"/> from memory (the path overload only opens the
/// file); the 8-byte header length is the length field, and the JSON header's shapes and offsets are edited as
/// numbers. Only <see cref="DataFormatException"/> may come out, and a parse may allocate 8 bytes per input byte plus
/// 128 KiB (the parsed header, the error).
/// </summary>
public class SafeTensorsFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void RefusesOnlyWithDataFormatException()
    {
        using var dir = new TempDir();
        string path = dir.File("valid.safetensors");
        SafeTensors.WriteRaw(path,
        [
            SafeTensor.FromTensor("conv.weight", Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => i * 0.5f - 3)], new Shape(2, 3, 2, 2))),
            SafeTensor.FromInt64("bn.num_batches_tracked", [7]),
            SafeTensor.FromInt32("indices", [3, 1, 4, 1, 5], 5),
            new SafeTensor("codes", SafeTensorDType.U8, [2, 3], [1, 2, 3, 250, 251, 252]),
        ], new Dictionary<string, string> { ["epoch"] = "3", ["config"] = "{\"lr\": 0.1}" });
        byte[] valid = File.ReadAllBytes(path);
        Fuzz.Run<DataFormatException>(output, "safetensors", valid, [new(0, 8)],
            bytes => () => SafeTensors.Read("mutated.safetensors", new MemoryStream(bytes)), n => 8L * n + 128 * 1024);
    }
}
