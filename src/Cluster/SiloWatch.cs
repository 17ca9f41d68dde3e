using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace NanoFed.Cluster;

/// <summary>
/// Tells a turn in flight on a silo that died from one still under way. Orleans' client fails a request to a killed
/// silo only when its response timeout passes (an hour for a turn, <see cref="LocalCluster.TurnTimeout"/>), so while
/// the coordinator waits for a turn it asks the cluster, every <paramref name="period"/>, where the grain's activation
/// lives and which silos are active; an activation that is gone, or on a silo no longer active, lost the turn. So did
/// one whose grain, alive on an active silo, says it has no call at work (<see cref="IWatchedGrain.Busy"/>) at
/// <see cref="IdleChecks"/> questions in a row: the request or its reply was lost on its way (through the gateway of a
/// silo that died, whose in-flight messages can vanish without a word).
/// </summary>
internal sealed class SiloWatch(IGrainFactory grains, TimeSpan period)
{
    private readonly IManagementGrain _management = grains.GetGrain<IManagementGrain>(0);

    /// <summary>How often the watch asks the cluster.</summary>
    public TimeSpan Period => period;

    /// <summary>
    /// How many questions in a row must find the grain idle before its turn counts as lost: a request still on its way
    /// finds the grain idle too, so a turn is given several periods to arrive.
    /// </summary>
    public const int IdleChecks = 5;

    /// <summary>Waits for <paramref name="turn"/> of <paramref name="grain"/>; null if the grain's silo left the cluster first.</summary>
    public async Task<T?> Await<T>(IWatchedGrain grain, Task<T> turn) where T : class => await Await(grain, (Task)turn) ? await turn : null;

    /// <summary>Whether <paramref name="e"/>, thrown by a call to a grain, says the grain's silo went away (rather than the grain failing).</summary>
    public static bool SiloLost(Exception e) => e is SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException;

    /// <summary>Waits for <paramref name="turn"/> of <paramref name="grain"/>; false if the grain's silo left the cluster first.</summary>
    public async Task<bool> Await(IWatchedGrain grain, Task turn)
    {
        int idle = 0;
        while (await Task.WhenAny(turn, Task.Delay(period)) != turn)
        {
            // A question in flight through a gateway whose silo dies is never answered (Orleans waits out the response
            // timeout): one left unanswered for a few periods is asked again.
            try
            {
                var where = await _management.GetActivationAddress(grain).AsTask().WaitAsync(period * 5);
                if (where is null || !(await _management.GetHosts(onlyActive: true).WaitAsync(period * 5)).ContainsKey(where)) return false;
                bool busy = await grain.Busy().WaitAsync(period * 5);
                idle = busy || turn.IsCompleted ? 0 : idle + 1;
                if (idle >= IdleChecks) return false;
            }
            catch (TimeoutException)
            {
            }
        }
        await turn;
        return true;
    }
}
