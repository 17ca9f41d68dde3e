namespace NanoFed.Nets.Data;

/// <summary>
/// An <see cref="IEpochRandom"/> on Philox4x32-10 (<see cref="Philox"/>): the 64 bits for (epoch, counter) are the
/// low half of <c>Philox.Block(counter = counter | (epoch &lt;&lt; 64) | (Stream &lt;&lt; 96), key = Seed)</c>. One block per
/// draw, a pure function of (seed, stream, epoch, counter), so shuffles and crops are reproducible from the seed
/// alone and a resumed run redraws exactly what an uninterrupted one drew.
/// </summary>
public sealed class PhiloxEpochRandom(ulong seed, uint stream = 0) : IEpochRandom
{
    /// <summary>The Philox key.</summary>
    public ulong Seed { get; } = seed;

    /// <summary>A stream id (counter word 3), to give several pipelines of one seed disjoint draws.</summary>
    public uint Stream { get; } = stream;

    /// <inheritdoc/>
    public ulong Bits(int epoch, long counter)
    {
        var block = Philox.Block(new UInt128(((ulong)Stream << 32) | (uint)epoch, (ulong)counter), Seed);
        return (ulong)block;
    }
}
