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
/// Reductions: each row of H·W values is summed by <see cref="ElementWise.Sum{TOp}"/> (16 fixed logical lanes
/// and a fixed tree), and the rows in double in increasing n. Channels are independent items of <see cref="Workers.For{TBody}"/>, so the
/// result is bit-identical on every ISA and for every thread count.
/// </summary>
public static unsafe partial class BatchNorm2d
{
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
        fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, ps = invStd, prm = runningMean, prv = runningVar)
        {
            var body = new ForwardBody
            {
                X = px, Gamma = pg, Beta = pb, Y = py, Mean = pm, InvStd = ps, RunningMean = prm, RunningVar = prv,
                N = n, C = c, HW = hw, Mode = mode, Momentum = momentum, Eps = eps, Relu = relu,
            };
            Workers.For(c, in body);
        }
    }

    /// <summary>
    /// Backward. x, dY: (N, C, H, W); gamma, mean, invStd: (C) as written by <see cref="Forward"/> in the same mode.
    /// Accumulates dX (N, C, H, W), dGamma and dBeta (C); an empty span skips that gradient.
    /// Batch modes differentiate through the batch statistics:
    /// dX += γσ̂ (dY − mean(dY) − x̂ · mean(dY · x̂)); Eval is the affine map: dX += γσ̂ dY.
    /// In all modes dGamma += Σ dY · x̂ and dBeta += Σ dY, with x̂ = (x − μ) σ̂.
    /// After a forward with ReLU, pass its output as <paramref name="reluOutput"/>: dY is then the gradient of the
    /// ReLU's output and is masked by reluOutput &gt; 0 first (per channel, in a scratch row that stays in cache),
    /// bit-identical to <see cref="Relu.Backward"/> into zeros followed by this backward. With
    /// <paramref name="overwrite"/>, dX is overwritten instead of accumulated into (its old contents are never read).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dY, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> dX, Span<float> dGamma, Span<float> dBeta,
        int n, int c, int hw, BatchNormMode mode, ReadOnlySpan<float> reluOutput = default, bool overwrite = false)
    {
        Validate(x.Length, dY.Length, gamma.Length, gamma.Length, mean.Length, invStd.Length, n, c, hw);
        if ((!dX.IsEmpty && dX.Length != x.Length) || (!dGamma.IsEmpty && dGamma.Length != c) || (!dBeta.IsEmpty && dBeta.Length != c)
            || (!reluOutput.IsEmpty && reluOutput.Length != x.Length))
            throw new ArgumentException($"batch norm backward: dX {dX.Length} (want 0 or {x.Length}), dGamma {dGamma.Length}, dBeta {dBeta.Length} (want 0 or {c}), ReLU output {reluOutput.Length} (want 0 or {x.Length})");
        fixed (float* px = x, pdy = dY, pg = gamma, pm = mean, ps = invStd, pdx = dX, pdg = dGamma, pdb = dBeta, pr = reluOutput)
        {
            var body = new BackwardBody
            {
                X = px, DY = pdy, Gamma = pg, Mean = pm, InvStd = ps, DX = pdx, DGamma = pdg, DBeta = pdb, ReluOutput = pr,
                N = n, C = c, HW = hw, Mode = mode, Overwrite = overwrite,
            };
            Workers.For(c, in body);
        }
    }

    private struct ForwardBody : IParallelBody
    {
        public float* X, Gamma, Beta, Y, Mean, InvStd, RunningMean, RunningVar;
        public int N, C, HW;
        public BatchNormMode Mode;
        public float Momentum, Eps;
        public bool Relu;

        public readonly void Invoke(int ch)
        {
            float mean, invStd;
            if (Mode == BatchNormMode.Eval)
            {
                mean = RunningMean[ch];
                invStd = (float)(1.0 / Math.Sqrt((double)RunningVar[ch] + Eps));
            }
            else
            {
                double m = (double)N * HW;
                // One pass about a shift K near the mean (row 0's): the sums of x − K and (x − K)² lose no digits to
                // a large mean, and the correction (Σ(x − K) / m)² is small.
                var row0 = new ReadOnlySpan<float>(X + (long)ch * HW, HW);
                float k = (long)N * HW == 0 ? 0f : ElementWise.Sum(new IdentityOperator(), row0, row0) / HW;
                var (sum, squares) = ChannelMoments(new DifferenceOperator(k), X, X, X, k, N, C, HW, ch);
                double shift = sum / m;
                double variance = Math.Max(squares / m - shift * shift, 0);
                mean = (float)(k + shift);
                invStd = (float)(1.0 / Math.Sqrt(variance + Eps));
                if (Mode == BatchNormMode.Train)
                {
                    double mom = Momentum;
                    RunningMean[ch] = (float)(mom * (k + shift) + (1 - mom) * RunningMean[ch]);
                    RunningVar[ch] = (float)(mom * (variance * m / (m - 1)) + (1 - mom) * RunningVar[ch]);
                }
            }
            Mean[ch] = mean;
            InvStd[ch] = invStd;
            // y = x · scale + shift, as PyTorch's CPU kernel folds it.
            float scale = Gamma[ch] * invStd;
            var op = new ScaleShiftOperator(scale, Beta[ch] - mean * scale);
            for (int i = 0; i < N; i++)
            {
                long offset = ((long)i * C + ch) * HW;
                var x = new ReadOnlySpan<float>(X + offset, HW);
                var y = new Span<float>(Y + offset, HW);
                if (Relu) ElementWise.Unary(new ScaleShiftReluOperator(op), x, y);
                else ElementWise.Unary(op, x, y);
            }
        }
    }

    private struct BackwardBody : IParallelBody
    {
        /// <summary>One row of masked dY when dX is accumulated after a fused ReLU: one per thread, grown as needed, reused.</summary>
        [ThreadStatic]
        private static float[]? _maskedRow;

        public float* X, DY, Gamma, Mean, InvStd, DX, DGamma, DBeta, ReluOutput;
        public int N, C, HW;
        public BatchNormMode Mode;
        public bool Overwrite;

        public readonly void Invoke(int ch)
        {
            // The ReLU's mask is applied where dY is read, in both passes: no masked copy of the channel is written.
            var (sumDy, sumDyXm) = ReluOutput == null
                ? ChannelMoments(new IdentityOperator(), DY, DY, X, Mean[ch], N, C, HW, ch)
                : ChannelMoments(default(Relu.MaskOperator), ReluOutput, DY, X, Mean[ch], N, C, HW, ch);
            float invStd = InvStd[ch];
            if (DBeta != null) DBeta[ch] += (float)sumDy;
            if (DGamma != null) DGamma[ch] += (float)(sumDyXm * invStd);
            if (DX == null) return;
            double m = (double)N * HW, a = (double)Gamma[ch] * invStd;
            var op = Mode == BatchNormMode.Eval
                ? new BackwardDataOperator((float)a, 0f, Mean[ch], 0f)
                : new BackwardDataOperator((float)a, (float)(-a * invStd * invStd * sumDyXm / m), Mean[ch], (float)(-a * sumDy / m));
            if (ReluOutput != null && !Overwrite)
            {
                if (_maskedRow is null || _maskedRow.Length < HW) _maskedRow = GC.AllocateUninitializedArray<float>(HW, pinned: true);
            }
            for (int i = 0; i < N; i++)
            {
                long offset = ((long)i * C + ch) * HW;
                var dy = new ReadOnlySpan<float>(DY + offset, HW);
                var x = new ReadOnlySpan<float>(X + offset, HW);
                var dx = new Span<float>(DX + offset, HW);
                if (ReluOutput == null)
                {
                    if (Overwrite) ElementWise.Binary(op, dy, x, dx);
                    else ElementWise.Ternary(op, dy, x, dx, dx);
                    continue;
                }
                var relu = new ReadOnlySpan<float>(ReluOutput + offset, HW);
                if (Overwrite)
                {
                    ElementWise.Ternary(new MaskedBackwardDataOperator(op), relu, dy, x, dx);
                    continue;
                }
                var masked = _maskedRow.AsSpan(0, HW);
                ElementWise.Binary(default(Relu.MaskOperator), relu, dy, masked);
                ElementWise.Ternary(op, masked, x, dx, dx);
            }
        }
    }

    private static void Validate(int xLength, int yLength, int gammaLength, int betaLength, int meanLength, int invStdLength, int n, int c, int hw)
    {
        if (n < 0 || c < 0 || hw < 0 || (long)n * c * hw != xLength || yLength != xLength
            || gammaLength != c || betaLength != c || meanLength != c || invStdLength != c)
            throw new ArgumentException(
                $"batch norm: N={n} C={c} H·W={hw} needs x and y of {(long)n * c * hw} and gamma, beta, mean, invStd of {c} elements; got {xLength}, {yLength}, {gammaLength}, {betaLength}, {meanLength}, {invStdLength}");
    }
}
