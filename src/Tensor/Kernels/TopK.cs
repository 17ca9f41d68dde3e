namespace NanoFed.Kernels;

/// <summary>
/// Top-k selection by magnitude (Sparse-Push's compressor, specs/sparse-push.md) and its inverse, scatter.
/// <see cref="Select"/> returns the k entries of largest |v| with their signs, as (values, indices) with indices in
/// increasing order. Ties in |v| go to the lower index, so the result is a pure function of (v, k). Magnitudes are
/// compared as the bit patterns of |v| (the order of non-negative floats), so −0 ties with +0 and NaN ranks above
/// infinity. O(n): a three-pass radix select on the 31 magnitude bits (11 + 11 + 10 bits, each pass a histogram of
/// the elements still in the running bin) finds the exact k-th magnitude T, and one more pass keeps every element
/// above T and the first (lowest-index) ones equal to T.
/// </summary>
public static class TopK
{
    private const int Bins = 2048;

    /// <summary>Sparse-Push's k for a tensor of <paramref name="n"/> elements: max(1, floor(n · keep)), capped at n.</summary>
    public static int Count(int n, double keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (!(keep >= 0 && keep <= 1)) throw new ArgumentOutOfRangeException(nameof(keep), $"keep must be in [0, 1], got {keep}");
        return Math.Min(n, Math.Max(1, (int)Math.Floor(n * keep)));
    }

    /// <summary>
    /// Writes the <paramref name="k"/> entries of <paramref name="v"/> with the largest magnitudes into
    /// <paramref name="values"/> (signed, as in v) and <paramref name="indices"/> (increasing); both have length k.
    /// </summary>
    public static void Select(ReadOnlySpan<float> v, int k, Span<float> values, Span<int> indices)
    {
        Validate(v.Length, k, values.Length, indices.Length);
        if (k == 0) return;
        if (k == v.Length)
        {
            v.CopyTo(values);
            for (int i = 0; i < k; i++) indices[i] = i;
            return;
        }
        uint threshold = Threshold(v, k, out int above);
        int equalWanted = k - above, o = 0;
        for (int i = 0; i < v.Length; i++)
        {
            uint key = Key(v[i]);
            if (key > threshold || (key == threshold && equalWanted-- > 0))
            {
                values[o] = v[i];
                indices[o++] = i;
            }
        }
    }

    /// <summary>Reference twin of <see cref="Select"/>: sort all indices by (magnitude descending, index ascending), keep k, sort by index.</summary>
    public static void SelectReference(ReadOnlySpan<float> v, int k, Span<float> values, Span<int> indices)
    {
        Validate(v.Length, k, values.Length, indices.Length);
        var keys = new uint[v.Length];
        for (int i = 0; i < v.Length; i++) keys[i] = Key(v[i]);
        var order = Enumerable.Range(0, v.Length).ToArray();
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[b].CompareTo(keys[a]) : a.CompareTo(b));
        var kept = order[..k];
        Array.Sort(kept);
        for (int j = 0; j < k; j++)
        {
            indices[j] = kept[j];
            values[j] = v[kept[j]];
        }
    }

    /// <summary>Overwrites <paramref name="dense"/>: zero everywhere except dense[indices[j]] = values[j].</summary>
    public static void Scatter(ReadOnlySpan<float> values, ReadOnlySpan<int> indices, Span<float> dense)
    {
        CheckScatter(values.Length, indices, dense.Length);
        dense.Clear();
        for (int j = 0; j < values.Length; j++) dense[indices[j]] = values[j];
    }

    /// <summary>Accumulates: dense[indices[j]] += values[j] (in order of j, so repeated indices add up); other entries untouched.</summary>
    public static void ScatterAdd(ReadOnlySpan<float> values, ReadOnlySpan<int> indices, Span<float> dense)
    {
        CheckScatter(values.Length, indices, dense.Length);
        for (int j = 0; j < values.Length; j++) dense[indices[j]] += values[j];
    }

    /// <summary>The magnitude's bit pattern: ordering these as unsigned integers orders |v| (NaN above infinity).</summary>
    private static uint Key(float x) => BitConverter.SingleToUInt32Bits(x) & 0x7FFF_FFFFu;

    /// <summary>
    /// The k-th largest key T (1 ≤ k &lt; n) and the number of keys strictly above it. Each pass narrows a prefix of
    /// T's bits: bits 30..20 (pass 1, 11 bits), 19..9 (pass 2, 11 bits), 8..0 (pass 3, 9 bits), histogramming only
    /// the keys that share the prefix found so far.
    /// </summary>
    private static uint Threshold(ReadOnlySpan<float> v, int k, out int above)
    {
        Span<int> hist = stackalloc int[Bins];
        above = 0;
        uint prefix = 0;
        int prefixShift = 31;
        foreach (var (shift, width) in Passes)
        {
            hist.Clear();
            uint mask = (1u << width) - 1;
            if (prefixShift == 31)
            {
                for (int i = 0; i < v.Length; i++) hist[(int)(Key(v[i]) >> shift)]++;
            }
            else
            {
                for (int i = 0; i < v.Length; i++)
                {
                    uint key = Key(v[i]);
                    if (key >> prefixShift == prefix) hist[(int)((key >> shift) & mask)]++;
                }
            }
            int bin = (int)mask;
            while (above + hist[bin] < k) above += hist[bin--];
            prefix = (prefix << width) | (uint)bin;
            prefixShift = shift;
        }
        return prefix;
    }

    private static readonly (int Shift, int Width)[] Passes = [(20, 11), (9, 11), (0, 9)];

    private static void Validate(int n, int k, int values, int indices)
    {
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"k must be in [0, {n}], got {k}");
        if (values != k || indices != k)
            throw new ArgumentException($"top-{k} needs outputs of length {k}, got {values} values and {indices} indices");
    }

    private static void CheckScatter(int values, ReadOnlySpan<int> indices, int n)
    {
        if (values != indices.Length)
            throw new ArgumentException($"{values} values but {indices.Length} indices");
        foreach (int i in indices)
            if ((uint)i >= (uint)n) throw new ArgumentException($"index {i} is outside a dense vector of {n} elements");
    }
}
