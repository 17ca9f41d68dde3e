using Orleans;
using Orleans.Concurrency;

namespace NanoFed.Cluster;

/// <summary>
/// A grain whose calls the coordinator watches (<see cref="SiloWatch"/>): it says, out of turn, whether one of its calls
/// is running or queued, so that a call lost on its way (or its reply) is told from one still at work.
/// </summary>
public interface IWatchedGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Whether a call of the grain's own work has arrived and not yet returned; answered even while one runs.</summary>
    [AlwaysInterleave]
    Task<bool> Busy();
}
