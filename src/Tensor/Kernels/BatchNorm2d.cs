using NanoFed.Threading;

namespace NanoFed.Kernels;

/// <summary>Which statistics batch normalization uses.</summary>
public enum BatchNormMode
{
    /// <summary>Batch statistics, and the running statistics are updated (PyTorch's <c>model.train()</c>).</summary>
    Train,

    /// <summary>Running statistics; nothing is updated (PyTorch's <c>model.eval()</c>).</summary>
    Eval,

    /// <summary>Batch statistics always, no running statistics at all (EcoFed's models, also at test time).</summary>
    BatchStatsAlways,
}

/// <summary>
/// Batch normalization over (N, C, H, W) per channel, with affine gamma, beta (C), as PyTorch's BatchNorm2d:
/// y = (x − μ_c) · σ̂_c · γ_c + β_c with σ̂ = 1/√(var + eps). Batch statistics are over the M = N·H·W values of a
/// channel; normalization uses the biased variance, the running variance is updated with the unbiased one:
/// running = (1 − momentum) · running + momentum · statistic.
/// Work is split by images, not channels: the items of <see cref="Workers.For{TBody}"/> are fixed ranges of n
/// (<see cref="ImagesPerItem"/>), each a contiguous block of memory, and the output pass walks it in order; a channel
/// at a time strides over the whole tensor one H·W row per image (a 4 KB row every 64 KB at 16x32x32), which ran the
/// writing pass at about half a copy's speed. A first pass sums each item's channels (<see cref="ItemMoments"/>),
/// the items' sums are added per channel in increasing item order, then a second pass over the same items writes the
/// output. The split depends on N alone, so the result is bit-identical on
/// every ISA and for every thread count.
/// </summary>
public static unsafe partial class BatchNorm2d
{
    /// <summary>Items per pass at most: enough to balance 2 to 8 threads, few enough that the per-item sums stay tiny.</summary>
    private const int MaxItems = 16;

    /// <summary>Per calling thread: the items' sums (2 per item and channel), grown as needed, reused.</summary>
    [ThreadStatic]
    private static double[]? t_itemSums;

    /// <summary>Per calling thread: per-channel constants of the output pass (up to 5 per channel), grown as needed, reused.</summary>
    [ThreadStatic]
    private static float[]? t_channelConstants;

    /// <summary>
    /// Forward. x, y: (N, C, H, W) with <paramref name="hw"/> = H·W; gamma, beta: (C). Overwrites y, and overwrites
    /// <paramref name="mean"/> and <paramref name="invStd"/> (C) with the statistics used (batch or running), which
    /// <see cref="Backward"/> needs. runningMean, runningVar (C): read in Eval, updated in place in Train, not used
    /// (may be empty) in BatchStatsAlways. With <paramref name="relu"/>, y = max(batchnorm(x), 0) in the same pass
    /// (bit-identical to <see cref="Relu.Forward"/> after it, without the second pass over memory).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> y,
        Span<float> mean, Span<float> invStd, Span<float> runningMean, Span<float> runningVar,
        int n, int c, int hw, BatchNormMode mode, float momentum = 0.1f, float eps = 1e-5f, bool relu = false)
    {
        Validate(x.Length, y.Length, gamma.Length, beta.Length, mean.Length, invStd.Length, n, c, hw);
        bool running = mode != BatchNormMode.BatchStatsAlways;
        if (running && (runningMean.Length != c || runningVar.Length != c))
            throw new ArgumentException($"batch norm in {mode} mode needs running mean and variance of C={c} elements, got {runningMean.Length} and {runningVar.Length}");
        if (mode == BatchNormMode.Train && (long)n * hw < 2)
            throw new ArgumentException($"batch norm in Train mode needs more than one value per channel, got N={n} H·W={hw}");
        if (!(eps > 0)) throw new ArgumentException($"eps must be positive, got {eps}", nameof(eps));
        int items = ItemCount(n);
        fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, ps = invStd, prm = runningMean, prv = runningVar)
        fixed (double* sums = Grow(ref t_itemSums, 2 * items * c))
        fixed (float* constants = Grow(ref t_channelConstants, 2 * c))
        {
            float* scale = constants, offset = constants + c;
            if (mode == BatchNormMode.Eval)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    pm[ch] = prm[ch];
                    ps[ch] = (float)(1.0 / Math.Sqrt((double)prv[ch] + eps));
                }
            }
            else BatchStatistics(px, n, c, hw, mode == BatchNormMode.Train, momentum, eps, pm, ps, prm, prv, scale, sums);
            // y = x · scale + offset, as PyTorch's CPU kernel folds it.
            ScaleAndOffset(pg, pb, pm, ps, c, scale, offset);
            var body = new NormalizeBody { X = px, Y = py, Scale = scale, Offset = offset, N = n, C = c, HW = hw, Relu = relu };
            Workers.For(items, in body);
        }
    }

    /// <summary>
    /// Backward. x, dY: (N, C, H, W); gamma, mean, invStd: (C) as written by <see cref="Forward"/> in the same mode.
    /// Accumulates dX (N, C, H, W), dGamma and dBeta (C); an empty span skips that gradient.
    /// Batch modes differentiate through the batch statistics:
    /// dX += γσ̂ (dY − mean(dY) − x̂ · mean(dY · x̂)); Eval is the affine map: dX += γσ̂ dY.
    /// In all modes dGamma += Σ dY · x̂ and dBeta += Σ dY, with x̂ = (x − μ) σ̂.
    /// After a forward with ReLU, pass its output as <paramref name="reluOutput"/>: dY is then the gradient of the
    /// ReLU's output and is masked by reluOutput &gt; 0 where it is read (a masked row is written only when dX is
    /// accumulated), bit-identical to <see cref="Relu.Backward"/> into zeros followed by this backward;
    /// <see cref="BackwardRelu"/> gives the same bits without reading the output. With
    /// <paramref name="overwrite"/>, dX is overwritten instead of accumulated into (its old contents are never read).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dGamma, Span<float> dBeta,
        int n, int c, int hw, BatchNormMode mode, ReadOnlySpan<float> reluOutput = default, bool overwrite = false)
    {
        Validate(x.Length, dY.Length, gamma.Length, gamma.Length, mean.Length, invStd.Length, n, c, hw);
        ValidateGradients(x.Length, c, dX.Length, dGamma.Length, dBeta.Length, reluOutput.Length);
        fixed (float* px = x, pdy = dY, pg = gamma, pm = mean, ps = invStd, pdx = dX, pdg = dGamma, pdb = dBeta, pr = reluOutput)
        {
            var gate = pr == null ? MomentsKind.Gradient : MomentsKind.MaskedGradient;
            var args = new BackwardArguments
            {
                X = px, DY = pdy, Gamma = pg, Mean = pm, InvStd = ps, DX = pdx, DGamma = pdg, DBeta = pdb, ReluOutput = pr,
                N = n, C = c, HW = hw, Mode = mode, Overwrite = overwrite, Gate = gate,
            };
            BackwardPasses(in args);
        }
    }

    /// <summary>
    /// The backward of a <see cref="Forward"/> with ReLU, without reading its output: dY is the gradient of the ReLU's
    /// output, masked where x · γσ̂ + (β − μγσ̂) &gt; 0, the forward's own pre-activation (the same float operations, so
    /// the same mask bit for bit as its output &gt; 0 in <see cref="Backward"/>, one tensor fewer to read twice).
    /// gamma and <paramref name="beta"/> must be the forward's; the other buffers and the results are
    /// <see cref="Backward"/>'s.
    /// </summary>
    public static void BackwardRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dGamma, Span<float> dBeta,
        int n, int c, int hw, BatchNormMode mode, bool overwrite = false)
    {
        Validate(x.Length, dY.Length, gamma.Length, beta.Length, mean.Length, invStd.Length, n, c, hw);
        ValidateGradients(x.Length, c, dX.Length, dGamma.Length, dBeta.Length, 0);
        fixed (float* px = x, pdy = dY, pg = gamma, pb = beta, pm = mean, ps = invStd, pdx = dX, pdg = dGamma, pdb = dBeta)
        {
            var args = new BackwardArguments
            {
                X = px, DY = pdy, Gamma = pg, Beta = pb, Mean = pm, InvStd = ps, DX = pdx, DGamma = pdg, DBeta = pdb,
                N = n, C = c, HW = hw, Mode = mode, Overwrite = overwrite, Gate = MomentsKind.PreActivationMaskedGradient,
            };
            BackwardPasses(in args);
        }
    }

    /// <summary>The buffers and settings of one backward call, validated.</summary>
    private struct BackwardArguments
    {
        public float* X, DY, Gamma, Beta, Mean, InvStd, DX, DGamma, DBeta, ReluOutput;
        public int N, C, HW;
        public BatchNormMode Mode;
        public bool Overwrite;
        public MomentsKind Gate;
    }

    /// <summary>Both passes of a backward: the channel sums, dGamma and dBeta, the per-channel constants, then dX.</summary>
    private static void BackwardPasses(in BackwardArguments p)
    {
        int items = ItemCount(p.N), c = p.C;
        fixed (double* sums = Grow(ref t_itemSums, 2 * items * c))
        fixed (float* constants = Grow(ref t_channelConstants, 5 * c))
        {
            float* a = constants, b = constants + c, k = constants + 2 * c, scale = constants + 3 * c, offset = constants + 4 * c;
            if (p.Gate == MomentsKind.PreActivationMaskedGradient) ScaleAndOffset(p.Gamma, p.Beta, p.Mean, p.InvStd, c, scale, offset);
            var moments = new MomentsBody
            {
                P = p.Gate == MomentsKind.MaskedGradient ? p.ReluOutput : p.Gate == MomentsKind.Gradient ? p.DY : p.X, Q = p.DY,
                X = p.X, Shift = p.Mean, Scale = scale, Offset = offset, Sums = sums, N = p.N, C = c, HW = p.HW, Kind = p.Gate,
            };
            Workers.For(items, in moments);
            double m = (double)p.N * p.HW;
            for (int ch = 0; ch < c; ch++)
            {
                var (sumDy, sumDyXm) = Total(sums, items, c, ch);
                double invStd = p.InvStd[ch], aCh = p.Gamma[ch] * invStd;
                if (p.DBeta != null) p.DBeta[ch] += (float)sumDy;
                if (p.DGamma != null) p.DGamma[ch] += (float)(sumDyXm * invStd);
                a[ch] = (float)aCh;
                bool batch = p.Mode != BatchNormMode.Eval;
                b[ch] = batch ? (float)(-aCh * invStd * invStd * sumDyXm / m) : 0f;
                k[ch] = batch ? (float)(-aCh * sumDy / m) : 0f;
            }
            if (p.DX == null) return;
            var body = new DataBody
            {
                X = p.X, DY = p.DY, DX = p.DX, ReluOutput = p.ReluOutput, Mean = p.Mean, A = a, B = b, K = k, Scale = scale,
                Offset = offset, N = p.N, C = c, HW = p.HW, Overwrite = p.Overwrite, Gate = p.Gate,
            };
            Workers.For(items, in body);
        }
    }

    /// <summary>
    /// The forward's first pass: every channel's batch mean and inverse std into mean and invStd (C), the running
    /// statistics updated when <paramref name="train"/>. shift: C floats of scratch; sums: the items' sums.
    /// </summary>
    private static void BatchStatistics(float* x, int n, int c, int hw, bool train, float momentum, float eps,
        float* mean, float* invStd, float* runningMean, float* runningVar, float* shift, double* sums)
    {
        // Row 0's mean is each channel's shift K: close to the mean, cheap (1/N of the data) and fixed by the input.
        for (int ch = 0; ch < c; ch++)
        {
            var row0 = new ReadOnlySpan<float>(x + (long)ch * hw, hw);
            shift[ch] = (long)n * hw == 0 ? 0f : ElementWise.Sum(new IdentityOperator(), row0, row0) / hw;
        }
        int items = ItemCount(n);
        var moments = new MomentsBody { P = x, Q = x, X = x, Shift = shift, Sums = sums, N = n, C = c, HW = hw };
        Workers.For(items, in moments);
        for (int ch = 0; ch < c; ch++)
        {
            var (sum, squares) = Total(sums, items, c, ch);
            Statistics(shift[ch], sum, squares, (double)n * hw, train, momentum, eps, out mean[ch], out invStd[ch],
                runningMean + ch, runningVar + ch);
        }
    }

    /// <summary>The forward's folded affine map per channel: scale = γσ̂, offset = β − μ · scale (y = x · scale + offset).</summary>
    private static void ScaleAndOffset(float* gamma, float* beta, float* mean, float* invStd, int c, float* scale, float* offset)
    {
        for (int ch = 0; ch < c; ch++)
        {
            scale[ch] = gamma[ch] * invStd[ch];
            offset[ch] = beta[ch] - mean[ch] * scale[ch];
        }
    }

    /// <summary>
    /// One channel's statistics from its sums about <paramref name="shift"/>: Σ(x − K) and Σ(x − K)² over m values. The
    /// shift (a value near the mean) keeps the second sum free of a large mean's cancellation; the correction
    /// (Σ(x − K) / m)² is small. Updates the running statistics (one float each) when <paramref name="train"/>; they are
    /// not read otherwise (null in BatchStatsAlways).
    /// </summary>
    private static void Statistics(float shift, double sum, double squares, double m, bool train, float momentum, float eps,
        out float mean, out float invStd, float* runningMean, float* runningVar)
    {
        double delta = sum / m;
        double variance = Math.Max(squares / m - delta * delta, 0);
        mean = (float)(shift + delta);
        invStd = (float)(1.0 / Math.Sqrt(variance + eps));
        if (!train) return;
        double mom = momentum;
        *runningMean = (float)(mom * (shift + delta) + (1 - mom) * *runningMean);
        *runningVar = (float)(mom * (variance * m / (m - 1)) + (1 - mom) * *runningVar);
    }

    /// <summary>Images per item: N split into at most <see cref="MaxItems"/> equal ranges (the last may be shorter).</summary>
    private static int ImagesPerItem(int n) => Math.Max(1, (n + MaxItems - 1) / MaxItems);

    private static int ItemCount(int n) => (n + ImagesPerItem(n) - 1) / ImagesPerItem(n);

    /// <summary>Channel <paramref name="ch"/>'s two sums, the items' in increasing item order.</summary>
    private static (double U, double V) Total(double* sums, int items, int c, int ch)
    {
        double u = 0, v = 0;
        for (int item = 0; item < items; item++)
        {
            u += sums[2 * ((long)item * c + ch)];
            v += sums[2 * ((long)item * c + ch) + 1];
        }
        return (u, v);
    }

    private static T[] Grow<T>(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = GC.AllocateUninitializedArray<T>(length, pinned: true);
        return buffer;
    }

    private static void ValidateGradients(int xLength, int c, int dXLength, int dGammaLength, int dBetaLength, int reluOutputLength)
    {
        if ((dXLength != 0 && dXLength != xLength) || (dGammaLength != 0 && dGammaLength != c) || (dBetaLength != 0 && dBetaLength != c)
            || (reluOutputLength != 0 && reluOutputLength != xLength))
            throw new ArgumentException($"batch norm backward: dX {dXLength} (want 0 or {xLength}), dGamma {dGammaLength}, dBeta {dBetaLength} (want 0 or {c}), ReLU output {reluOutputLength} (want 0 or {xLength})");
    }

    private static void Validate(int xLength, int yLength, int gammaLength, int betaLength, int meanLength, int invStdLength, int n, int c, int hw)
    {
        if (n < 0 || c < 0 || hw < 0 || (long)n * c * hw != xLength || yLength != xLength
            || gammaLength != c || betaLength != c || meanLength != c || invStdLength != c)
            throw new ArgumentException(
                $"batch norm: N={n} C={c} H·W={hw} needs x and y of {(long)n * c * hw} and gamma, beta, mean, invStd of {c} elements; got {xLength}, {yLength}, {gammaLength}, {betaLength}, {meanLength}, {invStdLength}");
    }
}
