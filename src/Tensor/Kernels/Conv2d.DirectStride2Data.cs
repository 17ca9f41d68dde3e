using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NanoFed.Threading;

namespace NanoFed.Kernels;

public static unsafe partial class Conv2d
{
    /// <summary>
    /// Backward-data of a 3×3 stride-2 pad-1 convolution (the shapes of <see cref="UseDirectStride2"/>) by the
    /// direct micro-kernel, one output phase at a time. Input row i = 2u + a of dX gets filter row r = 1 from dY row u
    /// when a = 0, and rows r = 0 and 2 from dY rows u + 1 and u when a = 1; columns likewise. So each of the four
    /// phases (a, b) of dX is a stride-1 correlation of dY (zero-bordered below and right, rows of Q+1) with 1, 2 or 4
    /// taps of the filters, read through an offset table by <see cref="Kernel512{TWidth}"/> (dY's K channels in,
    /// 8 of dX's C channels out). The phases are then interleaved into dX's rows (<see cref="StridedRows.Interleave"/>).
    /// Images run in parallel, each written by one item. Filters are repacked once per call as
    /// wp[phase][C/8][K][taps][8]. Overwrites dX when <paramref name="overwrite"/>, else adds into it.
    /// </summary>
    private static void BackwardDataDirectStride2(float* dY, float* w, float* dX, in Conv2dGeometry g, bool overwrite)
    {
        int cBlocks = (g.C + DirectKB - 1) / DirectKB, phaseWeights = cBlocks * g.K * 4 * DirectKB;
        int packed = 4 * phaseWeights;
        var a = t_direct;
        if (a is null || a.Length < packed) t_direct = a = GC.AllocateUninitializedArray<float>(packed, pinned: true);
        fixed (float* wp = a)
        {
            new Span<float>(wp, packed).Clear();
            for (int phase = 0; phase < 4; phase++)
            {
                int rows = PhaseTaps(phase >> 1, out int r0, out int r1), cols = PhaseTaps(phase & 1, out int s0, out int s1), taps = rows * cols;
                float* pw = wp + (long)phase * phaseWeights;
                for (int k = 0; k < g.K; k++)
                    for (int c = 0; c < g.C; c++)
                        for (int t = 0; t < taps; t++)
                        {
                            int r = t / cols == 0 ? r0 : r1, s = t % cols == 0 ? s0 : s1;
                            pw[(((long)(c / DirectKB) * g.K + k) * taps + t) * DirectKB + c % DirectKB] = w[((k * g.C + c) * 3 + r) * 3 + s];
                        }
            }
            var body = new DirectStride2DataBody { DY = dY, Wp = wp, DX = dX, G = g, PhaseWeights = phaseWeights, Overwrite = overwrite };
            if (g.N == 1) body.Invoke(0);
            else Workers.For(g.N, in body);
        }
    }

    /// <summary>
    /// The filter taps of one phase of dX along one axis: parity 0 takes tap 1 (from dY index u), parity 1 takes taps
    /// 0 (from u + 1) and 2 (from u). Returns their count; <paramref name="first"/> is the one read at u + 1 for parity 1.
    /// </summary>
    private static int PhaseTaps(int parity, out int first, out int second)
    {
        first = parity == 0 ? 1 : 0;
        second = 2;
        return parity == 0 ? 1 : 2;
    }

    private struct DirectStride2DataBody : IParallelBody
    {
        public float* DY, Wp, DX;
        public Conv2dGeometry G;
        public int PhaseWeights;
        public bool Overwrite;

        public readonly void Invoke(int n)
        {
            int C = G.C, K = G.K, H = G.H, W = G.W, P = G.P, Q = G.Q, ws = Q + 1, plane = (P + 1) * ws;
            int cBlocks = (C + DirectKB - 1) / DirectKB, rowLength = ((P * ws + 15) / 16 + 3) * 16;
            long dyLength = (long)K * plane + ws + 64, phaseLength = (long)C * rowLength;
            float* tile = stackalloc float[DirectKB * DirectBlock];
            int* taps = stackalloc int[4];
            fixed (float* scratch = ColScratch((int)(dyLength + 4 * phaseLength)))
            {
                float* dyp = scratch, phases = scratch + dyLength;
                // dY inside a zero border below and to the right: row p at p·(Q+1), column Q and row P zero.
                float* src = DY + (long)n * K * P * Q;
                for (int k = 0; k < K; k++)
                {
                    float* dst = dyp + (long)k * plane;
                    for (int p = 0; p < P; p++)
                    {
                        CopyShort(src + ((long)k * P + p) * Q, dst + p * ws, Q);
                        dst[p * ws + Q] = 0;
                    }
                    new Span<float>(dst + P * ws, ws).Clear();
                }
                new Span<float>(dyp + (long)K * plane, ws + 64).Clear();
                for (int phase = 0; phase < 4; phase++)
                {
                    int ra = phase >> 1, sb = phase & 1;
                    int rows = PhaseTaps(ra, out _, out _), cols = PhaseTaps(sb, out _, out _), count = rows * cols;
                    // Tap t reads dY at j + dp·(Q+1) + dq: dp = 1 for the first row tap of an odd row phase, else 0.
                    for (int t = 0; t < count; t++)
                        taps[t] = (ra == 1 && t / cols == 0 ? ws : 0) + (sb == 1 && t % cols == 0 ? 1 : 0);
                    int u = (H - ra + 1) / 2, length = u * ws;
                    float* pw = Wp + (long)phase * PhaseWeights, out0 = phases + phase * phaseLength;
                    for (int cb = 0; cb < cBlocks; cb++)
                    {
                        float* wk = pw + (long)cb * K * count * DirectKB;
                        int channels = Math.Min(DirectKB, C - cb * DirectKB);
                        for (int j = 0; j < length; j += DirectBlock)
                        {
                            KernelBlock(dyp + j, plane, taps, count, wk, K, tile, length - j);
                            for (int c = 0; c < channels; c++)
                                CopyShort(tile + c * DirectBlock, out0 + (long)(cb * DirectKB + c) * rowLength + j, Math.Min(DirectBlock, length - j));
                        }
                    }
                }
                float* dx = DX + (long)n * C * H * W;
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < H; i++)
                    {
                        float* even = phases + (i & 1) * 2 * phaseLength + (long)c * rowLength + (i >> 1) * ws;
                        StridedRows.Interleave(even, even + phaseLength, dx + ((long)c * H + i) * W, W, Overwrite);
                    }
            }
        }
    }
}
