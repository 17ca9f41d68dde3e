using NanoFed.Federation.Experiments;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Decentralized;

/// <summary>
/// Agent i of a <see cref="GossipSetup"/> (its own partition, derived from the configuration and the seed) driven
/// alone through the run's iterations as a <see cref="GossipPeer"/>, doing for it what <see cref="DecentralizedRunner"/>
/// does for every agent: the learning rate of the schedule, one local step on the next batch and the sends of
/// iteration t (<see cref="SendIteration"/>), then the receive of t (<see cref="ReceiveIteration"/>) once the caller
/// has the in-neighbours' messages (the protocols add them in increasing sender order, so arrival order does not
/// matter). So each peer ends bit-identical to its agent in the in-process simulation, whatever process or silo
/// hosts it; the host decides how long to wait for the messages.
/// </summary>
public sealed class PeerDriver : IDisposable
{
    private readonly GossipSetup _setup;
    private IEnumerator<Batch>? _batches;

    /// <summary>
    /// Peer <paramref name="id"/> of <paramref name="setup"/> over <paramref name="transport"/> (which serves node
    /// <paramref name="id"/>). Throws an <see cref="ArgumentException"/> for a method that peers do not run
    /// (all-reduce, none, SCSP's consensus phase).
    /// </summary>
    public PeerDriver(GossipSetup setup, int id, ITransport transport)
    {
        _setup = setup ?? throw new ArgumentNullException(nameof(setup));
        ArgumentNullException.ThrowIfNull(transport);
        if (id < 0 || id >= setup.Config.Agents) throw new ArgumentException($"--id must be 0..{setup.Config.Agents - 1}, got {id}");
        if (setup.Config.Method is "allreduce" or "none" or "scsp")
            throw new ArgumentException($"--method {setup.Config.Method}: peer processes run sgp, sparse-push, dpsgd and choco");
        var agent = setup.CreateAgent(id);
        var (_, protocol) = setup.CreateMethod(agent.Layout);
        Peer = new GossipPeer(agent, transport);
        Peer.Use(protocol);
    }

    /// <summary>The peer: its agent, push-sum state and channel.</summary>
    public GossipPeer Peer { get; }

    /// <summary>Iterations run so far.</summary>
    public long Iteration { get; private set; }

    /// <summary>Iterations of the whole run: epochs × iterations per epoch.</summary>
    public long Iterations => (long)_setup.Config.Epochs * _setup.IterationsPerEpoch;

    /// <summary>The first half of an iteration: the learning rate of the schedule, one local step on the next batch, the sends of the iteration.</summary>
    public void SendIteration()
    {
        if (Iteration >= Iterations) throw new InvalidOperationException($"all {Iterations} iterations are done");
        var agent = Peer.Agent;
        if (_batches is null || Iteration % _setup.IterationsPerEpoch == 0) OpenEpoch(0);
        if (!_batches!.MoveNext()) throw new InvalidOperationException($"agent {agent.Id} ran out of batches");
        agent.Optimizer.Lr = _setup.Schedule.LrAt(checked((int)Iteration));
        Peer.Step(_batches.Current);
        Peer.Send(Iteration, MessagePhase.Training);
    }

    /// <summary>The second half: applies the in-neighbours' messages of the iteration that have arrived, checks the state is finite.</summary>
    public void ReceiveIteration()
    {
        long t = Iteration;
        Peer.Receive(t, MessagePhase.Training);
        var node = Peer.Agent.Node;
        if (!float.IsFinite(node.W) || node.Z.Any(v => !float.IsFinite(v)))
            throw new DivergenceException($"diverged at iteration {t + 1} of the run: peer {Peer.Id}'s push-sum state is not finite");
        Iteration++;
    }

    /// <summary>
    /// Rejoins the run at <paramref name="iteration"/> after being down since <see cref="Iteration"/>: the state is
    /// the one the peer went down with (its mass was neither sent nor received meanwhile), the data position and the
    /// learning rate those of <paramref name="iteration"/>.
    /// </summary>
    public void Rejoin(long iteration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iteration, Iteration);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iteration, Iterations);
        Iteration = iteration;
        if (iteration < Iterations) OpenEpoch(checked((int)(iteration % _setup.IterationsPerEpoch)));
    }

    /// <summary>Opens the batches of <see cref="Iteration"/>'s epoch, <paramref name="skip"/> of them consumed; the next is the one <see cref="SendIteration"/> takes.</summary>
    private void OpenEpoch(int skip)
    {
        _batches?.Dispose();
        _batches = Peer.Agent.Loader.Epoch(checked((int)(Iteration / _setup.IterationsPerEpoch))).GetEnumerator();
        for (int b = 0; b < skip; b++) _batches.MoveNext();
    }

    /// <summary>The peer's state: the model's state_dict at x_i = z_i / w_i, and the push-sum state as "push_sum.z" and "push_sum.w".</summary>
    public List<(string Name, Tensor Value)> State()
    {
        var agent = Peer.Agent;
        var x = agent.Node.Estimate();
        agent.LoadParameters(x);
        var tensors = agent.Model.StateDict().Select(e => ("model." + e.Item1, e.Item2)).ToList();
        tensors.Add(("push_sum.z", Tensor.FromArray([.. agent.Node.Z], new Shape(agent.Node.Z.Length))));
        tensors.Add(("push_sum.w", Tensor.FromArray([agent.Node.W], new Shape(1))));
        return tensors;
    }

    /// <summary>Releases the agent's batch loader.</summary>
    public void Dispose()
    {
        _batches?.Dispose();
        Peer.Agent.Dispose();
    }
}
