using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NanoFed.Threading;

namespace NanoFed;

/// <summary>
/// One reproducible random stream: the sequence of 32-bit words of Philox4x32-10 (<see cref="Philox"/>) keyed by
/// <see cref="Seed"/>, with <see cref="Stream"/> in the high half of the counter. Word j of the stream is word
/// j mod 4 of <c>Philox.Block(counter = (j / 4) | (Stream &lt;&lt; 64), key = Seed)</c> (<see cref="WordAt"/>), so
/// streams with different ids never share a block, every word is a pure function of its index, and bulk fills
/// give the same values however they are chunked or threaded. <see cref="Position"/> is the index of the next word.
/// Give every consumer (client, agent, data loader, dropout layer) its own stream, e.g.
/// <c>new RngStream(seed, id).Split(round).Split(node)</c>. Not thread-safe: one stream per thread of use.
/// </summary>
public sealed class RngStream
{
    private const float TwoToMinus24 = 1f / 16777216f;
    private const int ParallelThreshold = 1 << 16;
    private const int ChunkWords = 1 << 14;

    private readonly uint _k0, _k1, _s0, _s1;
    private ulong _cachedBlock = ulong.MaxValue;
    private uint _w0, _w1, _w2, _w3;

    /// <summary>The stream of <paramref name="seed"/> and <paramref name="stream"/>, starting at word <paramref name="position"/>.</summary>
    public RngStream(ulong seed, ulong stream, ulong position = 0)
    {
        Seed = seed;
        Stream = stream;
        Position = position;
        _k0 = (uint)seed;
        _k1 = (uint)(seed >> 32);
        _s0 = (uint)stream;
        _s1 = (uint)(stream >> 32);
    }

    /// <summary>The Philox key.</summary>
    public ulong Seed { get; }

    /// <summary>The stream id (high 64 bits of every counter).</summary>
    public ulong Stream { get; }

    /// <summary>Index of the next 32-bit word to be drawn; may be set to jump anywhere in the stream.</summary>
    public ulong Position { get; set; }

    /// <summary>Word <paramref name="index"/> of stream (<paramref name="seed"/>, <paramref name="stream"/>): random access, no state.</summary>
    public static uint WordAt(ulong seed, ulong stream, ulong index)
    {
        Philox.Block((uint)(index >> 2), (uint)(index >> 34), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32),
            out uint r0, out uint r1, out uint r2, out uint r3);
        return (index & 3) switch { 0 => r0, 1 => r1, 2 => r2, _ => r3 };
    }

    /// <summary>
    /// A new stream with the same seed and the id Philox(child, Stream) (64 bits of a keyed bijection of the pair,
    /// so distinct (Stream, child) pairs give distinct ids up to a 2^-64 chance). Does not move this stream.
    /// </summary>
    public RngStream Split(ulong child)
    {
        UInt128 h = Philox.Block(new UInt128(Stream, child), 0xA4093822299F31D0);
        return new RngStream(Seed, (ulong)h);
    }

    /// <summary>The next 32-bit word.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    public uint NextUInt32()
    {
        ulong pos = Position++;
        ulong block = pos >> 2;
        if (block != _cachedBlock) Refill(block);
        return (pos & 3) switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
    }

    /// <summary>A uniform float in [0, 1): the top 24 bits of one word times 2^-24 (every value is exact).</summary>
    public float NextFloat() => (NextUInt32() >> 8) * TwoToMinus24;

    /// <summary>A uniform integer in [0, <paramref name="n"/>) without bias (Lemire's multiply-and-reject; usually one word).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"the bound must be positive, got {n}");
        ulong m = (ulong)NextUInt32() * (uint)n;
        if ((uint)m < (uint)n)
        {
            uint t = (uint)-n % (uint)n;
            while ((uint)m < t) m = (ulong)NextUInt32() * (uint)n;
        }
        return (int)(m >> 32);
    }

    /// <summary>A standard normal float: the first Box-Muller value of the next two words (see <see cref="FillNormal"/>).</summary>
    public float NextNormal()
    {
        uint a = NextUInt32(), b = NextUInt32();
        return BoxMuller(a, b, out _);
    }

    /// <summary>Fills <paramref name="destination"/> with the next words (in parallel for long spans; same values either way).</summary>
    public unsafe void Fill(Span<uint> destination)
    {
        int n = destination.Length;
        if (n < ParallelThreshold)
        {
            FillSerial(destination, Position);
        }
        else
        {
            fixed (uint* p = destination)
            {
                var body = new FillBody(this, p, n, Position);
                Workers.For((n + ChunkWords - 1) / ChunkWords, body);
            }
        }
        Position += (ulong)n;
    }

    /// <summary>Fills with uniform floats in [0, 1), one word each, as <see cref="NextFloat"/> would.</summary>
    public void FillUniform(Span<float> destination)
    {
        var bits = MemoryMarshal.Cast<float, uint>(destination);
        Fill(bits);
        WordsToUniform(bits);
    }

    /// <summary>Fills with uniform floats in [<paramref name="lo"/>, <paramref name="hi"/>): lo + (hi − lo)·u.</summary>
    public void FillUniform(Span<float> destination, float lo, float hi)
    {
        FillUniform(destination);
        float width = hi - lo;
        for (int i = 0; i < destination.Length; i++) destination[i] = lo + width * destination[i];
    }

    /// <summary>
    /// Fills with normal floats of mean <paramref name="mean"/> and standard deviation <paramref name="std"/>. Values
    /// come in Box-Muller pairs from word pairs: u1 = (w0 / 2^8 + 1)·2^-24 in (0, 1], u2 = (w1 / 2^8)·2^-24,
    /// r = sqrt(−2 ln u1), values r·cos(2π u2) and r·sin(2π u2). Consumes 2·ceil(n / 2) words.
    /// </summary>
    public void FillNormal(Span<float> destination, float mean = 0, float std = 1)
    {
        int n = destination.Length;
        int even = n & ~1;
        var bits = MemoryMarshal.Cast<float, uint>(destination[..even]);
        Fill(bits);
        for (int i = 0; i < even; i += 2)
        {
            float z0 = BoxMuller(bits[i], bits[i + 1], out float z1);
            destination[i] = mean + std * z0;
            destination[i + 1] = mean + std * z1;
        }
        if (n != even) destination[n - 1] = mean + std * NextNormal();
    }

    /// <summary>Writes a uniformly random permutation of 0..n−1 into <paramref name="destination"/> (n = its length).</summary>
    public void Permutation(Span<int> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = i;
        Shuffle(destination);
    }

    /// <summary>A uniformly random permutation of 0..<paramref name="n"/>−1 (allocates).</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var p = new int[n];
        Permutation(p);
        return p;
    }

    /// <summary>Shuffles in place (Fisher-Yates, from the last element down: swap i with <see cref="NextInt"/>(i + 1)).</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>Writes the uniforms of words [start, start + n) into <paramref name="destination"/> without moving <see cref="Position"/> (thread-safe).</summary>
    internal void FillUniformAt(Span<float> destination, ulong start)
    {
        var bits = MemoryMarshal.Cast<float, uint>(destination);
        FillSerial(bits, start);
        WordsToUniform(bits);
    }

    /// <summary>Converts words to uniform floats in place: (w >> 8)·2^-24. Exact, so identical on every SIMD path (512 → 256 → 128 → scalar).</summary>
    [MethodImpl(Inlining.HotPath)]
    internal static void WordsToUniform(Span<uint> words)
    {
        var f = MemoryMarshal.Cast<uint, float>(words);
        ref uint pw = ref MemoryMarshal.GetReference(words);
        ref float pf = ref MemoryMarshal.GetReference(f);
        int n = words.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
                (Vector512.ConvertToSingle((Vector512.LoadUnsafe(ref pw, (nuint)i) >>> 8).AsInt32()) * TwoToMinus24).StoreUnsafe(ref pf, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
                (Vector256.ConvertToSingle((Vector256.LoadUnsafe(ref pw, (nuint)i) >>> 8).AsInt32()) * TwoToMinus24).StoreUnsafe(ref pf, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= n; i += 4)
                (Vector128.ConvertToSingle((Vector128.LoadUnsafe(ref pw, (nuint)i) >>> 8).AsInt32()) * TwoToMinus24).StoreUnsafe(ref pf, (nuint)i);
        }
        for (; i < n; i++) f[i] = (words[i] >> 8) * TwoToMinus24;
    }

    private static float BoxMuller(uint a, uint b, out float second)
    {
        float u1 = ((a >> 8) + 1) * TwoToMinus24;
        float u2 = (b >> 8) * TwoToMinus24;
        float r = MathF.Sqrt(-2f * MathF.Log(u1));
        float theta = 2f * MathF.PI * u2;
        second = r * MathF.Sin(theta);
        return r * MathF.Cos(theta);
    }

    private void Refill(ulong block)
    {
        Philox.Block((uint)block, (uint)(block >> 32), _s0, _s1, _k0, _k1, out _w0, out _w1, out _w2, out _w3);
        _cachedBlock = block;
    }

    /// <summary>Writes words [start, start + destination.Length) of this stream; does not move the position.</summary>
    [MethodImpl(Inlining.HotPath)]
    private void FillSerial(Span<uint> destination, ulong start)
    {
        int i = 0, n = destination.Length;
        while (i < n && ((start + (ulong)i) & 3) != 0)
        {
            destination[i] = WordAt(Seed, Stream, start + (ulong)i);
            i++;
        }
        int whole = (n - i) & ~3;
        Philox.Blocks((start + (ulong)i) >> 2, _s0, _s1, _k0, _k1, destination.Slice(i, whole));
        i += whole;
        for (; i < n; i++) destination[i] = WordAt(Seed, Stream, start + (ulong)i);
    }

    private readonly unsafe struct FillBody(RngStream rng, uint* destination, int length, ulong start) : IParallelBody
    {
        public void Invoke(int index)
        {
            int lo = index * ChunkWords;
            int count = Math.Min(ChunkWords, length - lo);
            rng.FillSerial(new Span<uint>(destination + lo, count), start + (ulong)lo);
        }
    }
}
