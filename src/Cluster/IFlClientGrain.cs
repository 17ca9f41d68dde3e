using Orleans;

namespace NanoFed.Cluster;

/// <summary>
/// One client of a federated run as an Orleans grain: its key is the client id, its key extension the run id. The
/// grain builds its client from the run configuration and its silo's data root (<see cref="SiloData"/>), so the data
/// is read where the grain lives and never travels; each turn brings the round's messages and takes back the replies.
/// </summary>
public interface IFlClientGrain : IWatchedGrain
{
    /// <summary>
    /// The client's turn: it takes <paramref name="inbox"/> (wire-format messages addressed to it), works, makes its
    /// synchronous requests through <paramref name="server"/> and returns what it sent.
    /// </summary>
    /// <param name="configJson">The run configuration (<c>FlConfig.ToJson</c>); the client is built again when it changes.</param>
    /// <param name="inbox">The messages of the round for this client, each in <c>WireFormat</c>.</param>
    /// <param name="server">Answers the client's synchronous requests (split learning's per-batch exchange).</param>
    Task<ClientTurn> Work(string configJson, byte[][] inbox, IFlServerCalls server);
}

/// <summary>The coordinator's side of <c>ITransport.Call</c> for the client grains: a request in, the server's reply out, both in <c>WireFormat</c>.</summary>
public interface IFlServerCalls : IGrainObserver
{
    /// <summary>Hands <paramref name="request"/> to the server's message handler and returns its reply.</summary>
    Task<byte[]> Call(byte[] request);
}

/// <summary>What a client grain hands back after its turn.</summary>
/// <param name="Replies">The messages it sent to the server, each in <c>WireFormat</c>, in sending order.</param>
/// <param name="Ledger">Ledger rows (<c>LedgerRows</c>) of every message of its turn, in order: its sends, and each call's request and reply.</param>
/// <param name="Flops">The FLOPs it computed.</param>
[GenerateSerializer, Immutable]
public sealed record ClientTurn([property: Id(0)] byte[][] Replies, [property: Id(1)] byte[] Ledger, [property: Id(2)] double Flops);
