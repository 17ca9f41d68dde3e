namespace NanoFed.Micro;

/// <summary>Inputs and the validation every benchmark runs before timing (STYLE rule 20).</summary>
public static class Data
{
    /// <summary>Uniform values in [-1, 1) from stream <paramref name="stream"/> of seed 0.</summary>
    public static float[] Uniform(int length, ulong stream)
    {
        var v = new float[length];
        new RngStream(0, stream).FillUniform(v, -1f, 1f);
        return v;
    }

    /// <summary>Throws unless <paramref name="fast"/> matches <paramref name="reference"/> within a relative 1e-4.</summary>
    public static void Check(string what, ReadOnlySpan<float> fast, ReadOnlySpan<float> reference)
    {
        if (fast.Length != reference.Length) throw new InvalidOperationException($"{what}: {fast.Length} elements, reference {reference.Length}");
        for (int i = 0; i < fast.Length; i++)
        {
            if (!(Math.Abs(fast[i] - reference[i]) <= 1e-4f * (1 + Math.Abs(reference[i]))))
                throw new InvalidOperationException($"{what}: element {i} is {fast[i]}, reference {reference[i]}; not timed");
        }
    }
}
