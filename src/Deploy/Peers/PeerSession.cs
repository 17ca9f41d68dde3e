using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Training;

namespace NanoFed.Deploy.Peers;

/// <summary>
/// One peer of a gossip run in its own process: a <see cref="PeerDriver"/> (agent i of a <see cref="GossipSetup"/>,
/// driven alone through the run's iterations) over the caller's transport, whose receive of iteration t waits until
/// the messages of all in-neighbours of t have arrived or <see cref="ReceiveDeadline"/> has passed. So, with every
/// peer up, each peer ends bit-identical to its agent in the in-process simulation. A peer that cannot be reached is
/// skipped: the sender keeps the undelivered share (push-sum mass is conserved), and its out-neighbours proceed
/// without its message after the deadline.
/// </summary>
public sealed class PeerSession : IDisposable
{
    private readonly GossipSetup _setup;
    private readonly ITransport _transport;
    private readonly ILogger _logger;
    private readonly PeerDriver _driver;

    /// <summary>
    /// Peer <paramref name="id"/> of <paramref name="setup"/> over <paramref name="transport"/> (which serves node
    /// <paramref name="id"/>); what goes wrong is logged to <paramref name="logger"/>. Throws an
    /// <see cref="ArgumentException"/> for a method that peers do not run (all-reduce, none, SCSP's consensus phase).
    /// </summary>
    public PeerSession(GossipSetup setup, int id, ITransport transport, ILogger? logger = null)
    {
        _setup = setup ?? throw new ArgumentNullException(nameof(setup));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _logger = logger ?? NullLogger.Instance;
        _driver = new PeerDriver(setup, id, transport);
    }

    /// <summary>The peer: its agent, push-sum state and channel.</summary>
    public GossipPeer Peer => _driver.Peer;

    /// <summary>Iterations run so far.</summary>
    public long Iteration => _driver.Iteration;

    /// <summary>Iterations of the whole run: epochs × iterations per epoch.</summary>
    public long Iterations => _driver.Iterations;

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

    /// <summary>The first half of an iteration (<see cref="PeerDriver.SendIteration"/>), counting the messages that could not be delivered.</summary>
    public void SendIteration()
    {
        _driver.SendIteration();
        Undelivered += Peer.UndeliveredCount;
    }

    /// <summary>The second half: waits for the in-neighbours' messages of the iteration (or the deadline), then <see cref="PeerDriver.ReceiveIteration"/>.</summary>
    public void ReceiveIteration()
    {
        WaitForInbox(Iteration);
        _driver.ReceiveIteration();
    }

    /// <summary>Rejoins the run at <paramref name="iteration"/> (<see cref="PeerDriver.Rejoin"/>).</summary>
    public void Rejoin(long iteration) => _driver.Rejoin(iteration);

    /// <summary>Writes the peer's state (<see cref="PeerDriver.State"/>).</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Nets.Checkpoints.SafeTensors.Write(path, _driver.State(), metadata);

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
    public void Dispose() => _driver.Dispose();

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
