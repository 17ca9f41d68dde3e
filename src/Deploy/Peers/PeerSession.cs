using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;

namespace NanoFed.Deploy.Peers;

/// <summary>
/// One peer of a gossip run in its own process: agent i of a <see cref="GossipSetup"/> (its own partition, derived
/// from the configuration and the seed), driven as a <see cref="GossipPeer"/> over the caller's transport. An
/// iteration is what <see cref="DecentralizedRunner"/> does for every agent: the learning rate of the schedule, one
/// local step on the next batch, the sends of iteration t, then the receive of iteration t once the messages of all
/// in-neighbours of t have arrived (the protocols add them in increasing sender order, so arrival order does not
/// matter) or <see cref="ReceiveDeadline"/> has passed. So, with every peer up, each peer ends bit-identical to its
/// agent in the in-process simulation. A peer that cannot be reached is skipped: the sender keeps the undelivered
/// share (push-sum mass is conserved), and its out-neighbours proceed without its message after the deadline.
/// </summary>
public sealed class PeerSession : IDisposable
{
    private readonly GossipSetup _setup;
    private readonly ITransport _transport;
    private readonly ILogger _logger;
    private IEnumerator<Batch>? _batches;

    /// <summary>
    /// Peer <paramref name="id"/> of <paramref name="setup"/> over <paramref name="transport"/> (which serves node
    /// <paramref name="id"/>); what goes wrong is logged to <paramref name="logger"/>. Throws an
    /// <see cref="ArgumentException"/> for a method that peers do not run (all-reduce, none, SCSP's consensus phase).
    /// </summary>
    public PeerSession(GossipSetup setup, int id, ITransport transport, ILogger? logger = null)
    {
        _setup = setup ?? throw new ArgumentNullException(nameof(setup));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        if (id < 0 || id >= setup.Config.Agents) throw new ArgumentException($"--id must be 0..{setup.Config.Agents - 1}, got {id}");
        if (setup.Config.Method is "allreduce" or "none" or "scsp")
            throw new ArgumentException($"--method {setup.Config.Method}: peer processes run sgp, sparse-push, dpsgd and choco");
        _logger = logger ?? NullLogger.Instance;
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

    /// <summary>How long a receive waits for the in-neighbours' messages before it proceeds without the missing ones.</summary>
    public TimeSpan ReceiveDeadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>In-neighbour messages that had not arrived by the deadline, over the run.</summary>
    public int Missed { get; private set; }

    /// <summary>Messages this peer could not deliver (the receiver unreachable), over the run.</summary>
    public int Undelivered { get; private set; }

    /// <summary>
    /// Waits until every other peer's listener accepts a message (a control message, phase
    /// <see cref="MessagePhase.Control"/>, that the receivers' mailboxes leave aside), retrying for at most
    /// <paramref name="deadline"/>: the first iteration's messages then find every receiver up. Throws a
    /// <see cref="TransportException"/> naming the peers still unreachable.
    /// </summary>
    public void Connect(TimeSpan deadline)
    {
        var waiting = Enumerable.Range(0, _setup.Config.Agents).Where(j => j != Peer.Id).ToList();
        var clock = Stopwatch.StartNew();
        while (waiting.Count > 0)
        {
            waiting.RemoveAll(j => _transport.Send(new Message(0, Peer.Id, j, MessageKind.Control, [], MessagePhase.Control)));
            if (waiting.Count == 0) break;
            if (clock.Elapsed > deadline)
                throw new TransportException($"peer {Peer.Id}: peers {string.Join(", ", waiting)} still unreachable after {deadline.TotalSeconds:F0} s");
            Thread.Sleep(200);
        }
    }

    /// <summary>Runs the remaining iterations of the run.</summary>
    public void Run(CancellationToken cancellation = default)
    {
        while (Iteration < Iterations)
        {
            cancellation.ThrowIfCancellationRequested();
            RunIteration();
        }
    }

    /// <summary>One iteration: <see cref="SendIteration"/>, then <see cref="ReceiveIteration"/>.</summary>
    public void RunIteration()
    {
        SendIteration();
        ReceiveIteration();
    }

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
        Undelivered += Peer.UndeliveredCount;
    }

    /// <summary>The second half: waits for the in-neighbours' messages of the iteration (or the deadline), applies them, checks the state is finite.</summary>
    public void ReceiveIteration()
    {
        long t = Iteration;
        WaitForInbox(t);
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

    /// <summary>Writes the peer's state: the model's state_dict at x_i = z_i / w_i, and the push-sum state as "push_sum.z" and "push_sum.w".</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var agent = Peer.Agent;
        var x = agent.Node.Estimate();
        agent.LoadParameters(x);
        var tensors = agent.Model.StateDict().Select(e => ("model." + e.Item1, e.Item2)).ToList();
        tensors.Add(("push_sum.z", Tensor.FromArray([.. agent.Node.Z], new Shape(agent.Node.Z.Length))));
        tensors.Add(("push_sum.w", Tensor.FromArray([agent.Node.W], new Shape(1))));
        Nets.Checkpoints.SafeTensors.Write(path, tensors, metadata);
    }

    /// <summary>What a peer accepts from the others: gossip messages of a model of <paramref name="layout"/> (bounded per tensor and in size) and control messages.</summary>
    public static MessageSchema Schema(TensorLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var encodings = Enum.GetValues<WireEncoding>();
        // A protocol sends either one flat part of all d entries (push-sum) or one part per tensor; either way no part exceeds d.
        var specs = Enumerable.Range(0, layout.Count)
            .Select(l => new TensorSpec(GossipMessages.PartName(l), [TensorSpec.AnyDim], encodings, layout.Total))
            .Append(TensorSpec.Of(GossipMessages.WeightName, new Shape(1), WireEncoding.DenseF32));
        return new MessageSchema(specs, 16L * layout.Total + 256L * (layout.Count + 1) + 4096, layout.Count + 1);
    }

    /// <summary>Releases the agent's batch loader.</summary>
    public void Dispose()
    {
        _batches?.Dispose();
        Peer.Agent.Dispose();
    }

    private void WaitForInbox(long t)
    {
        var clock = Stopwatch.StartNew();
        while (Peer.MissingSenders(t, MessagePhase.Training).Length > 0)
        {
            if (clock.Elapsed > ReceiveDeadline)
            {
                int missing = Peer.MissingSenders(t, MessagePhase.Training).Length;
                Missed += missing;
                _logger.LogWarning("peer {Peer}: iteration {Iteration} proceeds without {Missing} in-neighbour message(s) after {Deadline} s",
                    Peer.Id, t, missing, ReceiveDeadline.TotalSeconds);
                return;
            }
            Thread.Sleep(1);
        }
    }
}
