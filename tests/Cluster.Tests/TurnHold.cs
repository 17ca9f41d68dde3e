using NanoFed.Cluster;
using Orleans;
using Orleans.Runtime;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// A silo's grain call filter that, once a test arms it (<see cref="Arm"/>), holds the client turns (or other chosen
/// calls) of one silo in flight: the first such call to reach one of the armed candidate silos makes that silo
/// the doomed one; every turn there starts, and its reply is held until the test releases it, so a silo killed after
/// <see cref="Armed.Started"/> is killed with a turn under way. Inert while unarmed, and only the armed cluster's
/// silos are candidates, so the fixtures of other test classes pass through it untouched.
/// </summary>
internal sealed class TurnHold(ILocalSiloDetails silo) : IIncomingGrainCallFilter
{
    private static volatile Armed? s_armed;

    /// <summary>
    /// Arms the filter for turns reaching one of <paramref name="candidates"/>: the calls <paramref name="holds"/>
    /// picks (default: every call to a client grain).
    /// </summary>
    public static Armed Arm(IEnumerable<SiloAddress> candidates, Func<IIncomingGrainCallContext, bool>? holds = null) =>
        s_armed = new Armed([.. candidates], holds ?? (c => c.Grain is FlClientGrain));

    /// <inheritdoc/>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (s_armed is not { } armed || !armed.Holds(context) || !armed.Claim(silo.SiloAddress))
        {
            await context.Invoke();
            return;
        }
        var turn = context.Invoke();
        armed.Start(silo.SiloAddress);
        try
        {
            await turn;
            armed.Finish();
        }
        finally
        {
            await armed.Released;
        }
    }

    /// <summary>One arming: which silo is doomed, when a turn started there, when held replies may go.</summary>
    public sealed class Armed(HashSet<SiloAddress> candidates, Func<IIncomingGrainCallContext, bool> holds)
    {
        private readonly TaskCompletionSource<SiloAddress> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private SiloAddress? _doomed;

        /// <summary>Completes with the doomed silo once a turn has started there.</summary>
        public Task<SiloAddress> Started => _started.Task;

        /// <summary>Completes once a turn on the doomed silo has ended there (its client state written, its server calls made) with its reply held.</summary>
        public Task Finished => _finished.Task;

        /// <summary>Turns started on the doomed silo (the one that started the hold included).</summary>
        public int Held;

        internal Task Released => _released.Task;

        /// <summary>Lets the held replies go (after the kill they have nowhere to go) and disarms the filter.</summary>
        public void Release()
        {
            s_armed = null;
            _released.TrySetResult();
        }

        internal bool Holds(IIncomingGrainCallContext context) => holds(context);

        internal bool Claim(SiloAddress address)
        {
            if (candidates.Contains(address)) Interlocked.CompareExchange(ref _doomed, address, null);
            return address.Equals(_doomed);
        }

        internal void Finish() => _finished.TrySetResult();

        internal void Start(SiloAddress address)
        {
            Interlocked.Increment(ref Held);
            _started.TrySetResult(address);
        }
    }
}

/// <summary>The test classes that arm <see cref="TurnHold"/>, whose arming is one per process: they run one after another.</summary>
[CollectionDefinition(nameof(SiloKills))]
public sealed class SiloKills;
