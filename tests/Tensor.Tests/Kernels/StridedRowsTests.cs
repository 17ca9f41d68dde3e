using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

/// <summary>The stride-2 row helpers against their definitions, on every length around the vector widths, with NaN
/// sentinels past the elements each may touch (a read there would show in the result, a write in the sentinel).</summary>
public unsafe class StridedRowsTests
{
    public static TheoryData<int> Lengths => [.. Enumerable.Range(0, 70)];

    [Theory]
    [MemberData(nameof(Lengths))]
    [Trait("Category", "Kernel")]
    public void EvenPicksEvenElementsAndReadsNothingPast(int n)
    {
        var src = KernelData.Uniform(Math.Max(2 * n - 1, 0) + 16, n);
        Array.Fill(src, float.NaN, Math.Max(2 * n - 1, 0), 16);
        var dst = new float[n + 16];
        Array.Fill(dst, float.NaN, n, 16);
        fixed (float* ps = src, pd = dst) StridedRows.Even(ps, pd, n, Math.Max(2 * n - 1, 0));
        for (int i = 0; i < n; i++) Assert.Equal(src[2 * i], dst[i]);
        for (int i = n; i < n + 16; i++) Assert.True(float.IsNaN(dst[i]), $"dst[{i}] written");
        // A whole row of 2n floats may be read to its end: the same values.
        var row = KernelData.Uniform(2 * n, n + 5);
        var even = new float[n];
        fixed (float* ps = row, pd = even) StridedRows.Even(ps, pd, n, 2 * n);
        for (int i = 0; i < n; i++) Assert.Equal(row[2 * i], even[i]);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    [Trait("Category", "Kernel")]
    public void AddToEvenAddsIntoEvenElementsOnly(int n)
    {
        int touched = Math.Max(2 * n - 1, 0);
        var src = KernelData.Uniform(n, n + 1);
        var dst = KernelData.Uniform(touched + 16, n + 2);
        Array.Fill(dst, float.NaN, touched, 16);
        var expected = (float[])dst.Clone();
        for (int i = 0; i < n; i++) expected[2 * i] += src[i];
        fixed (float* ps = src, pd = dst) StridedRows.AddToEven(ps, pd, n);
        Close.Identical(expected, dst, $"AddToEven n={n}");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    [Trait("Category", "Kernel")]
    public void DeinterleaveSplitsEvenAndOddAndReadsNothingPast(int w)
    {
        var src = KernelData.Uniform(w + 16, w + 3);
        Array.Fill(src, float.NaN, w, 16);
        var even = new float[(w + 1) / 2];
        var odd = new float[w / 2];
        fixed (float* ps = src, pe = even, po = odd) StridedRows.Deinterleave(ps, w, pe, po);
        for (int i = 0; i < even.Length; i++) Assert.Equal(src[2 * i], even[i]);
        for (int i = 0; i < odd.Length; i++) Assert.Equal(src[2 * i + 1], odd[i]);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    [Trait("Category", "Kernel")]
    public void InterleaveWritesOrAddsEvenAndOddAndNothingPast(int w)
    {
        var even = KernelData.Uniform((w + 1) / 2, w + 7);
        var odd = KernelData.Uniform(w / 2, w + 8);
        foreach (bool overwrite in new[] { true, false })
        {
            var dst = KernelData.Uniform(w + 16, w + 9);
            Array.Fill(dst, float.NaN, w, 16);
            var expected = (float[])dst.Clone();
            for (int i = 0; i < w; i++)
            {
                float v = i % 2 == 0 ? even[i / 2] : odd[i / 2];
                expected[i] = overwrite ? v : expected[i] + v;
            }
            fixed (float* pe = even, po = odd, pd = dst) StridedRows.Interleave(pe, po, pd, w, overwrite);
            Close.Identical(expected, dst, $"Interleave w={w} overwrite={overwrite}");
        }
    }
}
