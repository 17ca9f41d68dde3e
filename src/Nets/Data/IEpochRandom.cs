namespace NanoFed.Nets.Data;

/// <summary>
/// The random source of a data pipeline: 64 random bits for each (epoch, counter), a pure function, so a
/// batch is the same whichever thread prepares it and whenever. Shuffling uses counters [0, N) and
/// augmentation [2^32, 2^32 + N). A counter-based generator (Philox) fits this directly; until one is
/// wired in, <see cref="HashEpochRandom"/> is the default.
/// </summary>
public interface IEpochRandom
{
    /// <summary>64 random bits for <paramref name="counter"/> in <paramref name="epoch"/>.</summary>
    ulong Bits(int epoch, long counter);
}

/// <summary>
/// A counter-based stream from a 64-bit seed: the SplitMix64 finalizer (Steele, Lea and Flood, "Fast
/// splittable pseudorandom number generators", OOPSLA 2014) applied to seed, epoch and counter in turn.
/// </summary>
public sealed class HashEpochRandom(ulong seed) : IEpochRandom
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The seed.</summary>
    public ulong Seed { get; } = seed;

    /// <inheritdoc/>
    public ulong Bits(int epoch, long counter)
    {
        ulong z = Mix(Seed + Golden);
        z = Mix(z ^ ((ulong)(uint)epoch * Golden + 0x632BE59BD9B4E019UL));
        return Mix(z ^ ((ulong)counter * Golden + 0x8CB92BA72F3D8DD7UL));
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
