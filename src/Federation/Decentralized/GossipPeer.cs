using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;

namespace NanoFed.Federation.Decentralized;

/// <summary>
/// The peer role of decentralized training (specs/sparse-push.md "Push-sum core"): one agent's model, data, optimizer
/// and push-sum state (<see cref="Agent"/>), its endpoint of the gossip protocol (<see cref="GossipChannel"/>, holding
/// the protocol's per-node buffers: error memory, public copies) and its mailbox. It takes local steps, sends through
/// the transport (a share the transport could not deliver stays with the peer, so push-sum mass is conserved) and
/// receives from its own inbox. Nothing here reads another peer's state, so a peer can live in another process; the
/// in-process <see cref="DecentralizedRunner"/> drives n of them over one transport.
/// </summary>
public sealed class GossipPeer
{
    private readonly ITransport _transport;
    private readonly Mailbox _mailbox;
    private GossipChannel? _parameters;
    private GossipChannel? _statistics;
    private float[] _buffers = [];

    /// <summary>The peer of <paramref name="agent"/> (node i = its id) over <paramref name="transport"/>, not gossiping until <see cref="Use"/>.</summary>
    public GossipPeer(Agent agent, ITransport transport)
    {
        Agent = agent ?? throw new ArgumentNullException(nameof(agent));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _mailbox = new Mailbox(agent.Id, transport);
    }

    /// <summary>The agent: model, data, optimizer and push-sum node.</summary>
    public Agent Agent { get; }

    /// <summary>Node index i.</summary>
    public int Id => Agent.Id;

    /// <summary>The protocol the parameters are gossiped with, or null before <see cref="Use"/>.</summary>
    public IGossip? Protocol => _parameters?.Protocol;

    /// <summary>One SGD step on <paramref name="batch"/> from x = z / w (<see cref="Agent.Step"/>).</summary>
    public double Step(Batch batch) => Agent.Step(batch);

    /// <summary>A train-mode forward pass without an optimizer step (<see cref="Agent.Forward"/>: BatchNorm statistics follow the local data).</summary>
    public double Forward(Batch batch) => Agent.Forward(batch);

    /// <summary>
    /// Gossips the parameters with <paramref name="protocol"/> from now on (null: not at all): a fresh node built
    /// from the current x_i, then the agent's z_i and w_i carried over unchanged (so Σ z and Σ w are conserved across
    /// a switch); the protocol's private state starts fresh (an error memory at 0, public copies at 0, as for a new edge).
    /// </summary>
    public void Use(IGossip? protocol)
    {
        var old = Agent.Node;
        var x = old.Estimate();
        var node = protocol?.CreateNode(x) ?? new GossipNode(x);
        old.Z.CopyTo(node.Z, 0);
        node.W = old.W;
        Agent.Attach(node);
        _parameters = protocol is null ? null : new GossipChannel(Id, protocol, node, _transport);
    }

    /// <summary>
    /// Also gossips the agent's buffers (BatchNorm running statistics) by dense push-sum over <paramref name="topology"/>
    /// in every exchange until <see cref="StopStatistics"/>, starting from x = the current buffers, w = 1.
    /// </summary>
    public void StartStatistics(ITopology topology)
    {
        _buffers = new float[Agent.BufferLength];
        Agent.CopyBuffers(_buffers);
        _statistics = new GossipChannel(Id, new PushSum(topology), new GossipNode(_buffers), _transport, MessageKind.Statistics);
    }

    /// <summary>Ends the statistics exchange of <see cref="StartStatistics"/>.</summary>
    public void StopStatistics() => _statistics = null;

    /// <summary>
    /// Sends iteration (or consensus round) <paramref name="t"/>'s messages in <paramref name="phase"/>: the
    /// parameters', then, while started, the buffers' (taken after the local step as x, so z = w · x).
    /// </summary>
    public void Send(long t, MessagePhase phase)
    {
        var parameters = _parameters ?? throw new InvalidOperationException($"peer {Id} has no gossip protocol");
        parameters.Send(t, phase);
        if (_statistics is { } statistics)
        {
            Agent.CopyBuffers(_buffers);
            var node = statistics.State;
            for (int k = 0; k < node.Z.Length; k++) node.Z[k] = node.W * _buffers[k];
            statistics.Send(t, phase);
        }
    }

    /// <summary>
    /// The in-neighbours of this peer at iteration (or consensus round) <paramref name="t"/>: the nodes j with this
    /// peer in N_out(j, t), in increasing order (empty without a protocol).
    /// </summary>
    public int[] InPeers(long t)
    {
        if (_parameters is not { } parameters) return [];
        var topology = parameters.Protocol.Topology;
        return Enumerable.Range(0, topology.NodeCount).Where(j => j != Id && topology.OutPeers(j, t).Contains(Id)).ToArray();
    }

    /// <summary>
    /// The in-neighbours (<see cref="InPeers"/>) whose messages of <paramref name="t"/> in <paramref name="phase"/>
    /// have not arrived yet, for the parameters or, while started, the buffers: a peer in its own process waits for
    /// none (or a deadline) before <see cref="Receive"/>, so it applies the same inbox as the in-process simulation
    /// (whose receive follows every send).
    /// </summary>
    public int[] MissingSenders(long t, MessagePhase phase)
    {
        int round = checked((int)t);
        var senders = InPeers(t);
        var missing = _mailbox.Missing(MessageKind.Weights, phase, round, senders);
        return _statistics is null ? missing : [.. missing.Union(_mailbox.Missing(MessageKind.Statistics, phase, round, senders)).Order()];
    }

    /// <summary>Messages of the last <see cref="Send"/> that the transport could not deliver (their shares stay with this peer).</summary>
    public int UndeliveredCount => (_parameters?.Undelivered ?? 0) + (_statistics?.Undelivered ?? 0);

    /// <summary>Applies the inbox of <paramref name="t"/> in <paramref name="phase"/>: the parameters', then the buffers' (written back as z / w).</summary>
    public void Receive(long t, MessagePhase phase)
    {
        var parameters = _parameters ?? throw new InvalidOperationException($"peer {Id} has no gossip protocol");
        int round = checked((int)t);
        parameters.Receive(t, _mailbox.Take(MessageKind.Weights, phase, round));
        if (_statistics is { } statistics)
        {
            statistics.Receive(t, _mailbox.Take(MessageKind.Statistics, phase, round));
            statistics.State.Estimate(_buffers);
            Agent.LoadBuffers(_buffers);
        }
    }
}
