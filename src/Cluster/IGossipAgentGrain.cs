using Orleans;

namespace NanoFed.Cluster;

/// <summary>
/// One agent of a gossip run as an Orleans grain (key: agent id, key extension: run id), holding only its own
/// model, data and push-sum state: a <c>PeerDriver</c> built on the silo's data. An iteration is its two halves, each
/// run on every agent before the next: <see cref="Send"/>, then <see cref="Receive"/>.
/// </summary>
public interface IGossipAgentGrain : IWatchedGrain
{
    /// <summary>
    /// The first half of <paramref name="iteration"/> (which must be the agent's next): the learning rate of the
    /// schedule, one local step, the sends; returns them.
    /// </summary>
    /// <param name="configJson">The run configuration (<c>GossipConfig.ToJson</c>); the agent is built on its first call.</param>
    /// <param name="iteration">The iteration, counted from 0.</param>
    Task<AgentSends> Send(string configJson, long iteration);

    /// <summary>The second half of <paramref name="iteration"/>: applies <paramref name="inbox"/> (the in-neighbours' messages, in <c>WireFormat</c>).</summary>
    Task Receive(long iteration, byte[][] inbox);

    /// <summary>
    /// Makes the agent the one about to run <paramref name="iteration"/> holding <paramref name="state"/>
    /// (<c>Agent.Snapshot</c>'s names, as a checkpoint holds them): built anew from the configuration, whatever it held,
    /// with its data position and training-loss statistics those of a fresh start at that iteration. A run resumes from
    /// its checkpoint so, and redoes an epoch that a lost silo broke.
    /// </summary>
    Task Restore(string configJson, long iteration, AgentState state);

    /// <summary>The agent's state: its model's tensors at x = z / w, then "push_sum.z" and "push_sum.w" (<c>PeerDriver.State</c>).</summary>
    Task<AgentState> State();

    /// <summary>
    /// The agent's whole state as a checkpoint holds it (<c>Agent.Snapshot</c>: model, momentum, gossip node) and its
    /// mean training loss since the last snapshot (the epoch's, when taken once per epoch).
    /// </summary>
    Task<AgentSnapshot> Snapshot();
}

/// <summary>
/// An agent grain asked to go on from a state it does not have: its activation is new (its silo left the cluster, or
/// the grain was deactivated), so the run must restore it (<see cref="IGossipAgentGrain.Restore"/>).
/// </summary>
[GenerateSerializer]
public sealed class AgentStateLostException : Exception
{
    /// <summary>The exception with its <paramref name="message"/>.</summary>
    public AgentStateLostException(string message) : base(message)
    {
    }
}

/// <summary>An agent's whole state and its mean training loss (<see cref="IGossipAgentGrain.Snapshot"/>).</summary>
/// <param name="State">Its named tensors, flattened (<c>Agent.Snapshot</c>'s names).</param>
/// <param name="Loss">Its mean training loss since the last snapshot.</param>
[GenerateSerializer, Immutable]
public sealed record AgentSnapshot([property: Id(0)] AgentState State, [property: Id(1)] double Loss);

/// <summary>What an agent sent in the first half of an iteration.</summary>
/// <param name="Messages">The messages, each in <c>WireFormat</c>, in sending order.</param>
/// <param name="Ledger">Their ledger rows (<c>LedgerRows</c>).</param>
[GenerateSerializer, Immutable]
public sealed record AgentSends([property: Id(0)] byte[][] Messages, [property: Id(1)] byte[] Ledger);

/// <summary>An agent's named tensors, flattened.</summary>
/// <param name="Names">Tensor names.</param>
/// <param name="Values">Each tensor's values, in the order of <paramref name="Names"/>.</param>
[GenerateSerializer, Immutable]
public sealed record AgentState([property: Id(0)] string[] Names, [property: Id(1)] float[][] Values);
