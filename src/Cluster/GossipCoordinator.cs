using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Orleans;

namespace NanoFed.Cluster;

/// <summary>
/// A gossip run on an Orleans cluster: one <see cref="IGossipAgentGrain"/> per agent (key: agent id, key extension:
/// the run id). Each iteration every agent takes its local step and sends, in parallel on the silos; the coordinator
/// records the messages in the ledger and hands each agent its inbox in ascending sender order, as the in-process
/// <c>DecentralizedRunner</c> does, so every agent's state stays the simulation's bit for bit. The ledger holds every
/// message's <c>WireFormat</c> size; what Orleans adds on top is not in it.
/// <para>
/// An agent's state lives in its grain's memory between epochs; at each epoch's end the coordinator takes every
/// agent's whole state into the in-process twin of the run (<see cref="RunEpoch"/>), which checkpoints it. So an
/// agent lost with its silo loses at most the epoch under way: the coordinator drops that epoch's ledger rows, puts
/// every agent back to the epoch's start from the twin (<see cref="IGossipAgentGrain.Restore"/>; the lost ones come
/// back on the live silos) and runs the epoch again. Every iteration is a pure function of the agents' states, the
/// configuration and the iteration number, so the redone epoch ends as the lost one would have, bit for bit. A run
/// resumed from its checkpoint starts its agents the same way.
/// </para>
/// </summary>
public sealed class GossipCoordinator
{
    private readonly IGossipAgentGrain[] _agents;
    private readonly string _config;
    private readonly SiloWatch _watch;

    /// <summary>
    /// How long the coordinator keeps redoing an epoch whose agents were lost: the cluster may go on placing a lost
    /// agent on its dead silo until the silo's peers have voted it dead (as for client turns, <see cref="ClientTurns.RedoPatience"/>).
    /// </summary>
    public static readonly TimeSpan RedoPatience = ClientTurns.RedoPatience;

    /// <summary>
    /// The run <paramref name="config"/> describes over the grains of <paramref name="grains"/>, recording its messages
    /// in <paramref name="ledger"/> (a new one if null); bad input raises a one-line <see cref="ArgumentException"/>
    /// naming the option.
    /// </summary>
    public GossipCoordinator(GossipConfig config, IGrainFactory grains, string runId, TrafficLedger? ledger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        Check(config);
        Ledger = ledger ?? new TrafficLedger();
        _config = config.ToJson();
        _agents = [.. Enumerable.Range(0, config.Agents).Select(i => grains.GetGrain<IGossipAgentGrain>(i, runId))];
        _watch = new SiloWatch(grains, FlCoordinator.WatchPeriod);
    }

    /// <summary>Validates <paramref name="config"/> and that a cluster can run it; a one-line <see cref="ArgumentException"/> naming the option if not.</summary>
    public static void Check(GossipConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.Method is "allreduce" or "none" or "scsp")
            throw new ArgumentException($"--method {config.Method}: a cluster runs sgp, sparse-push, dpsgd and choco");
        if (config.MessageLoss != 0) throw new ArgumentException("--message-loss: a cluster delivers every message (loss injection is the simulation's)");
        if (config.Absence != 0) throw new ArgumentException("--absence: a cluster keeps every agent (absence injection is the simulation's)");
    }

    /// <summary>Every message's serialized size.</summary>
    public TrafficLedger Ledger { get; }

    /// <summary>Iterations run so far.</summary>
    public long Iteration { get; private set; }

    /// <summary>Epochs run again because an agent's silo left the cluster while they ran.</summary>
    public int RedoneEpochs { get; private set; }

    /// <summary>Runs <paramref name="iterations"/> more iterations.</summary>
    public Task Run(long iterations, CancellationToken cancellation = default) => Run(iterations, null, cancellation);

    /// <summary>Runs <paramref name="iterations"/> more iterations, telling <paramref name="progress"/> how many are done after each.</summary>
    private async Task Run(long iterations, Action<int>? progress, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        for (long k = 0; k < iterations; k++)
        {
            cancellation.ThrowIfCancellationRequested();
            await RunIteration();
            progress?.Invoke(checked((int)(k + 1)));
        }
    }

    /// <summary>
    /// Runs the next epoch's iterations on the grains and loads every agent's ending state into the agents of
    /// <paramref name="runner"/> (the in-process twin of the run, built from the same configuration, which evaluates
    /// and checkpoints it: <c>GossipExperiment.RunEpoch</c>); returns the epoch's training bytes and the mean of the
    /// agents' training losses, in agent order, as <see cref="DecentralizedRunner.RecordEpoch"/> takes them; the runner's
    /// <see cref="DecentralizedRunner.IterationCompleted"/> hears of each iteration, as in the simulation. The agents
    /// start from the runner's states when the runner is not where the grains are (a resumed run); an epoch during
    /// which an agent's silo left the cluster is run again from them, for up to <see cref="RedoPatience"/>.
    /// </summary>
    public async Task<(long Bytes, double Loss)> RunEpoch(DecentralizedRunner runner, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        if (runner.Agents.Count != _agents.Length) throw new ArgumentException($"a runner of {runner.Agents.Count} agents for a run of {_agents.Length}", nameof(runner));
        long start = runner.Iteration;
        int rows = Ledger.Entries.Count;
        long before = Ledger.Total(MessagePhase.Training);
        DateTime? lost = null;
        AgentSnapshot[] snapshots;
        for (bool restore = Iteration != start; ; restore = true)
        {
            try
            {
                if (restore) await Restore(runner, start);
                await Run(runner.IterationsPerEpoch, runner.IterationCompleted, cancellation);
                snapshots = await Task.WhenAll(_agents.Select(a => Watched(a, a.Snapshot())));
                break;
            }
            catch (Exception e) when (e is AgentStateLostException || SiloWatch.SiloLost(e))
            {
                lost ??= DateTime.UtcNow;
                if (DateTime.UtcNow - lost > RedoPatience)
                    throw new TransportException($"agents lost with their silo could not be restored within {RedoPatience.TotalSeconds:F0} s: {e.Message}");
                Ledger.Truncate(rows);
                RedoneEpochs++;
                await Task.Delay(_watch.Period, cancellation);
            }
        }
        for (int i = 0; i < snapshots.Length; i++)
        {
            var state = snapshots[i].State;
            runner.Agents[i].Restore(state.Names.Zip(state.Values).ToDictionary(e => e.First, e => e.Second, StringComparer.Ordinal));
        }
        return (Ledger.Total(MessagePhase.Training) - before, snapshots.Average(s => s.Loss));
    }

    /// <summary>The state of agent <paramref name="agent"/> (<see cref="IGossipAgentGrain.State"/>).</summary>
    public Task<AgentState> State(int agent) => _agents[agent].State();

    /// <summary>Puts every agent grain at iteration <paramref name="iteration"/> with the state of its twin in <paramref name="runner"/>.</summary>
    private async Task Restore(DecentralizedRunner runner, long iteration)
    {
        await Task.WhenAll(_agents.Select((a, i) =>
        {
            var state = runner.Agents[i].Snapshot();
            return Watched(a, a.Restore(_config, iteration, new AgentState([.. state.Select(e => e.Name)], [.. state.Select(e => e.Value.Span.ToArray())])));
        }));
        Iteration = iteration;
    }

    /// <summary><paramref name="call"/> to <paramref name="agent"/>, failing with <see cref="AgentStateLostException"/> if the call is lost (<see cref="SiloWatch"/>).</summary>
    private async Task Watched(IGossipAgentGrain agent, Task call)
    {
        if (!await _watch.Await(agent, call)) throw Lost(agent);
    }

    private async Task<T> Watched<T>(IGossipAgentGrain agent, Task<T> call) where T : class => await _watch.Await(agent, call) ?? throw Lost(agent);

    private AgentStateLostException Lost(IGossipAgentGrain agent) =>
        new($"agent {agent.GetPrimaryKeyLong(out _)}'s call of iteration {Iteration} was lost (its silo left the cluster, or the call on its way)");

    private async Task RunIteration()
    {
        long t = Iteration;
        var sends = await Task.WhenAll(_agents.Select(a => Watched(a, a.Send(_config, t))));
        var inboxes = _agents.Select(_ => new List<byte[]>()).ToArray();
        for (int i = 0; i < sends.Length; i++)
        {
            foreach (var e in LedgerRows.FromBytes(sends[i].Ledger))
            {
                if (e.Sender != i) throw new TransportException($"agent {i} reported a message sent by node {e.Sender}");
                Ledger.Record(e);
            }
            foreach (var bytes in sends[i].Messages)
            {
                var m = WireFormat.Deserialize(bytes);
                if (m.Sender != i || (uint)m.Receiver >= (uint)_agents.Length)
                    throw new TransportException($"agent {i} sent a message {m.Sender}->{m.Receiver}");
                inboxes[m.Receiver].Add(bytes);
            }
        }
        await Task.WhenAll(_agents.Select((a, i) => Watched(a, a.Receive(t, [.. inboxes[i]]))));
        Iteration++;
    }
}
