using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>
/// Group normalization (Wu and He 2018, arXiv 1803.08494) over (N, C, H, W) with G groups of C/G consecutive
/// channels, as PyTorch's GroupNorm: y = (x − μ_ng) · σ̂_ng · γ_c + β_c, σ̂ = 1/√(var + eps), the biased variance over
/// the C/G · H·W values of image n's group g (one contiguous run). No batch statistics: each image is normalized
/// on its own, in training and at test time alike.
/// The work items are the N·G groups (forward) and the N images (backward's sums), each a fixed run of memory whose
/// sums go through <see cref="RunSums"/>; the per-channel gradients add the images' sums in increasing n. So the
/// result is bit-identical on every ISA and for every thread count.
/// </summary>
public static unsafe partial class GroupNorm
{
    /// <summary>Per calling thread: per (image, channel) sums of the backward (2 each), grown as needed, reused.</summary>
    [ThreadStatic]
    private static double[]? t_sums;

    /// <summary>
    /// Forward. x, y: (N, C, H, W) with <paramref name="hw"/> = H·W; gamma, beta: (C). Overwrites y, and overwrites
    /// <paramref name="mean"/> and <paramref name="invStd"/> (N·G, group g of image n at n·G + g) with the statistics
    /// that <see cref="Backward"/> needs.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> mean, Span<float> invStd, int n, int c, int hw, int groups, float eps = 1e-5f)
    {
        Validate(x.Length, y.Length, gamma.Length, beta.Length, mean.Length, invStd.Length, n, c, hw, groups);
        if (!(eps > 0)) throw new ArgumentException($"eps must be positive, got {eps}", nameof(eps));
        fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, ps = invStd)
        {
            var body = new ForwardBody { X = px, Gamma = pg, Beta = pb, Y = py, Mean = pm, InvStd = ps, C = c, HW = hw, Groups = groups, Eps = eps };
            Workers.For(n * groups, in body);
        }
    }

    /// <summary>
    /// Backward. x, dY: (N, C, H, W); gamma (C); mean, invStd (N·G) as written by <see cref="Forward"/>. Accumulates
    /// dX (N, C, H, W), dGamma and dBeta (C); an empty span skips that gradient. With x̂ = (x − μ) σ̂ and M = C/G · H·W:
    /// dX += γσ̂ dY − σ̂ (Σ_g γ dY) / M − (x − μ) σ̂³ (Σ_g γ dY (x − μ)) / M, dGamma += Σ_n σ̂ Σ dY (x − μ),
    /// dBeta += Σ dY.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dGamma, Span<float> dBeta,
        int n, int c, int hw, int groups)
    {
        Validate(x.Length, dY.Length, gamma.Length, gamma.Length, mean.Length, invStd.Length, n, c, hw, groups);
        ValidateGradients("group norm", x.Length, c, dX.Length, dGamma.Length, dBeta.Length);
        fixed (float* px = x, pdy = dY, pg = gamma, pm = mean, ps = invStd, pdx = dX, pdg = dGamma, pdb = dBeta)
        fixed (double* sums = Grow(ref t_sums, 2 * n * c))
        {
            var moments = new MomentsBody { X = px, DY = pdy, Mean = pm, Sums = sums, C = c, HW = hw, Groups = groups };
            Workers.For(n, in moments);
            int cg = c / groups;
            for (int ch = 0; ch < c; ch++)
            {
                double sumDy = 0, sumDyXhat = 0;
                for (int i = 0; i < n; i++)
                {
                    long at = 2 * ((long)i * c + ch);
                    sumDy += sums[at];
                    sumDyXhat += sums[at + 1] * ps[i * groups + ch / cg];
                }
                if (pdb != null) pdb[ch] += (float)sumDy;
                if (pdg != null) pdg[ch] += (float)sumDyXhat;
            }
            if (pdx == null) return;
            var data = new DataBody { X = px, DY = pdy, Gamma = pg, Mean = pm, InvStd = ps, DX = pdx, Sums = sums, C = c, HW = hw, Groups = groups };
            Workers.For(n * groups, in data);
        }
    }

    /// <summary>One group: its statistics, then y = x · γσ̂ + (β − μγσ̂) per channel row.</summary>
    private struct ForwardBody : IParallelBody
    {
        public float* X, Gamma, Beta, Y, Mean, InvStd;
        public int C, HW, Groups;
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
                float scale = Gamma[first + k] * invStd, offset = Beta[first + k] - mean * scale;
                long row = start + (long)k * HW;
                ElementWise.Unary(new BatchNorm2d.ScaleShiftOperator(scale, offset), new ReadOnlySpan<float>(X + row, HW), new Span<float>(Y + row, HW));
            }
        }
    }

    /// <summary>One image: (Σ dY, Σ dY · (x − μ)) of every channel row into Sums[2 (n · C + c)] and the next element.</summary>
    private struct MomentsBody : IParallelBody
    {
        public float* X, DY, Mean;
        public double* Sums;
        public int C, HW, Groups;

        public readonly void Invoke(int image)
        {
            int cg = C / Groups;
            for (int ch = 0; ch < C; ch++)
            {
                long row = ((long)image * C + ch) * HW;
                var (u, v) = RunSums.Sum(new BatchNorm2d.IdentityOperator(), DY + row, DY + row, X + row, Mean[image * Groups + ch / cg], HW);
                Sums[2 * ((long)image * C + ch)] = u;
                Sums[2 * ((long)image * C + ch) + 1] = v;
            }
        }
    }

    /// <summary>One group: its two γ-weighted sums over the channels, then dX += a_c dY + b (x − μ) + k per row.</summary>
    private struct DataBody : IParallelBody
    {
        public float* X, DY, Gamma, Mean, InvStd, DX;
        public double* Sums;
        public int C, HW, Groups;

        public readonly void Invoke(int item)
        {
            int cg = C / Groups, image = item / Groups, first = item % Groups * cg;
            double sumDy = 0, sumDyXm = 0;
            for (int k = 0; k < cg; k++)
            {
                long at = 2 * ((long)image * C + first + k);
                sumDy += Gamma[first + k] * Sums[at];
                sumDyXm += Gamma[first + k] * Sums[at + 1];
            }
            double invStd = InvStd[item], m = (double)cg * HW;
            float b = (float)(-invStd * invStd * invStd * sumDyXm / m), constant = (float)(-invStd * sumDy / m), mean = Mean[item];
            for (int k = 0; k < cg; k++)
            {
                long row = ((long)image * C + first + k) * HW;
                var op = new BatchNorm2d.BackwardDataOperator((float)(Gamma[first + k] * invStd), b, mean, constant);
                var dx = new Span<float>(DX + row, HW);
                ElementWise.Ternary(op, new ReadOnlySpan<float>(DY + row, HW), new ReadOnlySpan<float>(X + row, HW), dx, dx);
            }
        }
    }

    internal static T[] Grow<T>(ref T[]? buffer, long length)
    {
        if (buffer is null || buffer.Length < length) buffer = GC.AllocateUninitializedArray<T>((int)length, pinned: true);
        return buffer;
    }

    internal static void ValidateGradients(string what, int xLength, int c, int dXLength, int dGammaLength, int dBetaLength)
    {
        if ((dXLength != 0 && dXLength != xLength) || (dGammaLength != 0 && dGammaLength != c) || (dBetaLength != 0 && dBetaLength != c))
            throw new ArgumentException($"{what} backward: dX {dXLength} (want 0 or {xLength}), dGamma {dGammaLength}, dBeta {dBetaLength} (want 0 or {c})");
    }

    /// <summary>Throws unless the shapes agree and G divides C.</summary>
    internal static void Validate(int xLength, int yLength, int gammaLength, int betaLength, int meanLength, int invStdLength,
        int n, int c, int hw, int groups, string what = "group norm")
    {
        if (groups <= 0 || c <= 0 || c % groups != 0)
            throw new ArgumentException($"{what}: {groups} groups must divide C={c} channels");
        if (n < 0 || hw < 0 || (long)n * c * hw != xLength || yLength != xLength || gammaLength != c || betaLength != c
            || meanLength != (long)n * groups || invStdLength != (long)n * groups)
            throw new ArgumentException(
                $"{what}: N={n} C={c} H·W={hw} G={groups} needs x and y of {(long)n * c * hw}, gamma and beta of {c}, mean and invStd of {(long)n * groups} elements; got {xLength}, {yLength}, {gammaLength}, {betaLength}, {meanLength}, {invStdLength}");
    }
}
