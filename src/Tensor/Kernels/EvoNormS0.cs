using System.Runtime.CompilerServices;
using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// EvoNorm-S0 (Liu et al. 2020, arXiv 2004.02967, "Evolving Normalization-Activation Layers"), a normalization and
/// activation in one, with no batch statistics: y = x · sigmoid(v_c · x) · σ̂_ng · γ_c + β_c over (N, C, H, W), where
/// σ̂_ng = 1/√(var + eps) is image n's group g's inverse standard deviation of x (G groups of C/G consecutive
/// channels, biased variance, as GroupNorm's). The work items are the N·G groups (forward, and dX) and the N images
/// (backward's sums); sums go through <see cref="RunSums"/> and the per-channel gradients add the images' sums in
/// increasing n, so the result is bit-identical on every ISA and for every thread count. The element-wise rows are
/// written once over <see cref="ILanes{TV}"/>, the sigmoid included (<see cref="Lanes.Sigmoid{TL, TV}"/>: the same
/// operations on every path), so their bits do not depend on the vector width either.
/// </summary>
public static unsafe partial class EvoNormS0
{
    /// <summary>Per calling thread: per (image, channel) sums of the backward (3 each), grown as needed, reused.</summary>
    [ThreadStatic]
    private static double[]? t_sums;

    /// <summary>Per worker thread: one channel row of u = x · s and of w = x² · s (1 − s), grown as needed, reused.</summary>
    [ThreadStatic]
    private static float[]? t_rows;

    /// <summary>
    /// Forward. x, y, <paramref name="sigmoid"/>: (N, C, H, W) with <paramref name="hw"/> = H·W; v, gamma, beta: (C).
    /// Overwrites y; overwrites sigmoid with s = sigmoid(v_c · x), and <paramref name="mean"/> and
    /// <paramref name="invStd"/> (N·G, group g of image n at n·G + g) with the statistics of x: what
    /// <see cref="Backward"/> needs.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, Span<float> sigmoid, Span<float> mean, Span<float> invStd, int n, int c, int hw, int groups, float eps = 1e-5f) =>
        ForwardAtLanes(x, v, gamma, beta, y, sigmoid, mean, invStd, n, c, hw, groups, eps, int.MaxValue);

    /// <summary><see cref="Forward"/> with its lanes capped at <paramref name="maxLanes"/> (tests run every width).</summary>
    internal static void ForwardAtLanes(ReadOnlySpan<float> x, ReadOnlySpan<float> v, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> y, Span<float> sigmoid, Span<float> mean, Span<float> invStd, int n, int c, int hw, int groups, float eps, int maxLanes)
    {
        Validate(x.Length, y.Length, sigmoid.Length, v.Length, gamma.Length, beta.Length, mean.Length, invStd.Length, n, c, hw, groups);
        if (!(eps > 0)) throw new ArgumentException($"eps must be positive, got {eps}", nameof(eps));
        fixed (float* px = x, pv = v, pg = gamma, pb = beta, py = y, psig = sigmoid, pm = mean, ps = invStd)
        {
            var body = new ForwardBody
            {
                X = px, V = pv, Gamma = pg, Beta = pb, Y = py, Sigmoid = psig, Mean = pm, InvStd = ps, C = c, HW = hw, Groups = groups, Eps = eps,
                MaxLanes = maxLanes,
            };
            Workers.For(n * groups, in body);
        }
    }

    /// <summary>
    /// Backward. x, dY, sigmoid: (N, C, H, W); v, gamma (C); sigmoid, mean, invStd as written by <see cref="Forward"/>.
    /// Accumulates dX (N, C, H, W), dV, dGamma and dBeta (C); an empty span skips that gradient. With u = x · s,
    /// s' = s (1 − s) and M = C/G · H·W: dX += γσ̂ dY (s + v x s') − (x − μ) σ̂³ (Σ_g γ dY u) / M,
    /// dV += Σ_n γσ̂ Σ dY x² s', dGamma += Σ_n σ̂ Σ dY u, dBeta += Σ dY.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> v, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> sigmoid, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dV,
        Span<float> dGamma, Span<float> dBeta, int n, int c, int hw, int groups) =>
        BackwardAtLanes(x, dY, v, gamma, sigmoid, mean, invStd, dX, dV, dGamma, dBeta, n, c, hw, groups, int.MaxValue);

    /// <summary><see cref="Backward"/> with its lanes capped at <paramref name="maxLanes"/> (tests run every width).</summary>
    internal static void BackwardAtLanes(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> v, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> sigmoid, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dV,
        Span<float> dGamma, Span<float> dBeta, int n, int c, int hw, int groups, int maxLanes)
    {
        Validate(x.Length, dY.Length, sigmoid.Length, v.Length, gamma.Length, gamma.Length, mean.Length, invStd.Length, n, c, hw, groups);
        GroupNorm.ValidateGradients("EvoNorm-S0", x.Length, c, dX.Length, dGamma.Length, dBeta.Length);
        if (dV.Length != 0 && dV.Length != c) throw new ArgumentException($"EvoNorm-S0 backward: dV {dV.Length} (want 0 or {c})");
        fixed (float* px = x, pdy = dY, pv = v, pg = gamma, psig = sigmoid, pm = mean, ps = invStd, pdx = dX, pdv = dV, pdg = dGamma, pdb = dBeta)
        fixed (double* sums = GroupNorm.Grow(ref t_sums, 3L * n * c))
        {
            var moments = new MomentsBody { X = px, DY = pdy, Sigmoid = psig, Sums = sums, C = c, HW = hw, MaxLanes = maxLanes };
            Workers.For(n, in moments);
            int cg = c / groups;
            for (int ch = 0; ch < c; ch++)
            {
                double sumDy = 0, sumDyU = 0, sumDyW = 0;
                for (int i = 0; i < n; i++)
                {
                    long at = 3 * ((long)i * c + ch);
                    double inv = ps[i * groups + ch / cg];
                    sumDy += sums[at];
                    sumDyU += sums[at + 1] * inv;
                    sumDyW += sums[at + 2] * inv;
                }
                if (pdb != null) pdb[ch] += (float)sumDy;
                if (pdg != null) pdg[ch] += (float)sumDyU;
                if (pdv != null) pdv[ch] += (float)(sumDyW * pg[ch]);
            }
            if (pdx == null) return;
            var data = new DataBody
            {
                X = px, DY = pdy, V = pv, Gamma = pg, Sigmoid = psig, Mean = pm, InvStd = ps, DX = pdx, Sums = sums, C = c, HW = hw, Groups = groups,
                MaxLanes = maxLanes,
            };
            Workers.For(n * groups, in data);
        }
    }

    /// <summary>One group: the statistics of x, then s and y per channel row.</summary>
    private struct ForwardBody : IParallelBody
    {
        public float* X, V, Gamma, Beta, Y, Sigmoid, Mean, InvStd;
        public int C, HW, Groups, MaxLanes;
        public float Eps;

        public readonly void Invoke(int item)
        {
            int cg = C / Groups, first = item % Groups * cg;
            long start = (long)item * cg * HW;
            RunSums.MeanAndInvStd(X + start, (long)cg * HW, Eps, out float mean, out float invStd);
            Mean[item] = mean;
            InvStd[item] = invStd;
            for (int k = 0; k < cg; k++)
            {
                long row = start + (long)k * HW;
                var job = new ForwardRow
                {
                    X = X + row, S = Sigmoid + row, Y = Y + row, V = V[first + k], Scale = Gamma[first + k] * invStd, Beta = Beta[first + k],
                };
                Lanes.Run(ref job, HW, MaxLanes);
            }
        }
    }

    /// <summary>One channel row: s = sigmoid(v · x), y = x · s · scale + β.</summary>
    private struct ForwardRow : ILanesJob
    {
        public float* X, S, Y;
        public float V, Scale, Beta;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int j, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            TV v = TL.Create(V), scale = TL.Create(Scale), beta = TL.Create(Beta);
            for (; j + TL.Count <= end; j += TL.Count)
            {
                TV x = TL.Load(X + j), s = Lanes.Sigmoid<TL, TV>(TL.Multiply(v, x));
                TL.Store(S + j, s);
                TL.Store(Y + j, TL.Add(TL.Multiply(TL.Multiply(x, s), scale), beta));
            }
            return j;
        }
    }

    /// <summary>One image: (Σ dY, Σ dY · u, Σ dY · w) of every channel row into Sums[3 (n · C + c)] and the next two.</summary>
    private struct MomentsBody : IParallelBody
    {
        public float* X, DY, Sigmoid;
        public double* Sums;
        public int C, HW, MaxLanes;

        public readonly void Invoke(int image)
        {
            fixed (float* rows = GroupNorm.Grow(ref t_rows, 2L * HW))
            {
                float* u = rows, w = rows + HW;
                for (int ch = 0; ch < C; ch++)
                {
                    long row = ((long)image * C + ch) * HW;
                    var job = new MomentsRow { X = X + row, S = Sigmoid + row, U = u, W = w };
                    Lanes.Run(ref job, HW, MaxLanes);
                    var (sumDy, sumDyU) = RunSums.Sum(new BatchNorm2d.IdentityOperator(), DY + row, DY + row, u, 0f, HW);
                    var (_, sumDyW) = RunSums.Sum(new BatchNorm2d.IdentityOperator(), DY + row, DY + row, w, 0f, HW);
                    long at = 3 * ((long)image * C + ch);
                    Sums[at] = sumDy;
                    Sums[at + 1] = sumDyU;
                    Sums[at + 2] = sumDyW;
                }
            }
        }
    }

    /// <summary>One channel row: u = x · s and w = u · x · (1 − s).</summary>
    private struct MomentsRow : ILanesJob
    {
        public float* X, S, U, W;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int j, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            TV one = TL.Create(1f);
            for (; j + TL.Count <= end; j += TL.Count)
            {
                TV x = TL.Load(X + j), s = TL.Load(S + j), u = TL.Multiply(x, s);
                TL.Store(U + j, u);
                TL.Store(W + j, TL.Multiply(TL.Multiply(u, x), TL.Subtract(one, s)));
            }
            return j;
        }
    }

    /// <summary>One group: Σ γ dY u over its channels, then dX += γσ̂ dY (s + v x s') + b (x − μ) per row.</summary>
    private struct DataBody : IParallelBody
    {
        public float* X, DY, V, Gamma, Sigmoid, Mean, InvStd, DX;
        public double* Sums;
        public int C, HW, Groups, MaxLanes;

        public readonly void Invoke(int item)
        {
            int cg = C / Groups, image = item / Groups, first = item % Groups * cg;
            double sumDyU = 0;
            for (int k = 0; k < cg; k++) sumDyU += Gamma[first + k] * Sums[3 * ((long)image * C + first + k) + 1];
            double invStd = InvStd[item];
            float b = (float)(-invStd * invStd * invStd * sumDyU / ((double)cg * HW)), mean = Mean[item];
            for (int k = 0; k < cg; k++)
            {
                long row = ((long)image * C + first + k) * HW;
                var job = new DataRow
                {
                    X = X + row, DY = DY + row, S = Sigmoid + row, DX = DX + row, A = (float)(Gamma[first + k] * invStd), V = V[first + k], B = b, Mean = mean,
                };
                Lanes.Run(ref job, HW, MaxLanes);
            }
        }
    }

    /// <summary>One channel row: dX += a · dY · (s + v · x · s · (1 − s)) + b · (x − μ).</summary>
    private struct DataRow : ILanesJob
    {
        public float* X, DY, S, DX;
        public float A, V, B, Mean;

        [MethodImpl(Inlining.HotPath)]
        public readonly int Run<TL, TV>(int j, int end) where TL : struct, ILanes<TV> where TV : unmanaged
        {
            TV a = TL.Create(A), v = TL.Create(V), b = TL.Create(B), mean = TL.Create(Mean), one = TL.Create(1f);
            for (; j + TL.Count <= end; j += TL.Count)
            {
                TV x = TL.Load(X + j), s = TL.Load(S + j);
                TV slope = TL.Add(s, TL.Multiply(TL.Multiply(TL.Multiply(v, x), s), TL.Subtract(one, s)));
                TV term = TL.Add(TL.Multiply(TL.Multiply(a, TL.Load(DY + j)), slope), TL.Multiply(b, TL.Subtract(x, mean)));
                TL.Store(DX + j, TL.Add(TL.Load(DX + j), term));
            }
            return j;
        }
    }

    private static void Validate(int xLength, int yLength, int sigmoidLength, int vLength, int gammaLength, int betaLength,
        int meanLength, int invStdLength, int n, int c, int hw, int groups)
    {
        GroupNorm.Validate(xLength, yLength, gammaLength, betaLength, meanLength, invStdLength, n, c, hw, groups, "EvoNorm-S0");
        if (sigmoidLength != xLength || vLength != c)
            throw new ArgumentException($"EvoNorm-S0: needs sigmoid of {xLength} and v of {c} elements, got {sigmoidLength} and {vLength}");
    }
}
