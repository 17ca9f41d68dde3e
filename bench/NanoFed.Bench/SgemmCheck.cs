using System.Globalization;
using System.Text.RegularExpressions;

namespace NanoFed.Bench;

/// <summary>
/// The peer's SGEMM checked against a float64 product (bench/torch_blas_check.py): the largest error over sampled
/// entries, relative to (|A||B|)_ij. A correct float32 GEMM of depth K, in any summation order and with or without
/// FMA, is within γ_K = K·u / (1 − K·u) of that (u = 2⁻²⁴; Higham, "Accuracy and Stability of Numerical Algorithms",
/// eq. 3.13); a kernel that drops a block, reads the wrong panel or runs an instruction wrongly is orders of magnitude
/// off, so the bound tells the two apart without a tuned tolerance.
/// </summary>
/// <param name="M">Rows of C.</param>
/// <param name="N">Columns of C.</param>
/// <param name="K">Depth of the product.</param>
/// <param name="MaxError">The largest |C − R| / (|A||B|) over the sample; infinity when C held a NaN or an infinity.</param>
internal sealed partial record SgemmCheck(int M, int N, int K, double MaxError)
{
    /// <summary>γ_K for float32: the largest error a correct kernel can make, relative to (|A||B|)_ij.</summary>
    public double Bound
    {
        get
        {
            double ku = K * Math.ScaleB(1.0, -24);
            return ku / (1 - ku);
        }
    }

    /// <summary>Whether the kernel's result is within <see cref="Bound"/> (false for NaN).</summary>
    public bool Passed => MaxError <= Bound;

    /// <summary>"max error 9.5e-08, bound 3.1e-05 (k=517)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"max error {MaxError:0.0e+00}, bound {Bound:0.0e+00} (m={M} n={N} k={K})");

    /// <summary>The check printed in <paramref name="output"/> ("sgemm check m=515 n=263 k=517: max error 9.505e-08 of |A||B|"), or null when there is none.</summary>
    public static SgemmCheck? Parse(string output)
    {
        var match = Line().Match(output);
        if (!match.Success) return null;
        var inv = CultureInfo.InvariantCulture;
        string error = match.Groups[4].Value;
        double value = error switch
        {
            "inf" => double.PositiveInfinity,
            "nan" => double.NaN,
            _ => double.Parse(error, NumberStyles.Float, inv),
        };
        return new SgemmCheck(int.Parse(match.Groups[1].Value, inv), int.Parse(match.Groups[2].Value, inv), int.Parse(match.Groups[3].Value, inv), value);
    }

    [GeneratedRegex(@"sgemm check m=(\d+) n=(\d+) k=(\d+): max error (inf|nan|[0-9.eE+-]+) of")]
    private static partial Regex Line();
}
