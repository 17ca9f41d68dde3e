using Xunit;

namespace NanoFed.Tests;

/// <summary>Seeded random inputs for kernel tests (the seed comes from the size, STYLE rule 19).</summary>
internal static class KernelData
{
    /// <summary>Sizes that straddle 16, 8 and 4 lanes.</summary>
    public static readonly TheoryData<int> Sizes = new() { 0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100 };

    /// <summary>n uniform values in [offset − scale, offset + scale).</summary>
    public static float[] Uniform(int n, int seed, float scale = 1, float offset = 0)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = offset + scale * (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>The FNV-1a hash of every bit of <paramref name="buffers"/>, in order (for results recorded on one ISA and checked on the others).</summary>
    public static uint Hash(IEnumerable<float[]> buffers)
    {
        uint hash = 2166136261;
        foreach (var values in buffers)
        {
            foreach (float v in values) hash = (hash ^ (uint)BitConverter.SingleToInt32Bits(v)) * 16777619;
        }
        return hash;
    }

    /// <summary>Runs <paramref name="action"/> with <see cref="Threading.Workers.Count"/> set to <paramref name="count"/>, then restores it.</summary>
    public static void WithWorkers(int count, Action action)
    {
        int saved = Threading.Workers.Count;
        Threading.Workers.Count = count;
        try
        {
            action();
        }
        finally
        {
            Threading.Workers.Count = saved;
        }
    }
}
