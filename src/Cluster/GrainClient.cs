using NanoFed.Federation.Fl;
using NanoFed.Federation.Transport;

namespace NanoFed.Cluster;

/// <summary>
/// The coordinator's stand-in for a client grain (as <c>RemoteClient</c> is for a device process): its turn
/// (<see cref="ClientTurns"/>) hands the grain the messages the coordinator holds for it and takes back its replies,
/// ledger rows and FLOPs. A grain that fails, or a silo that cannot be reached, makes the turn throw, which the runner
/// counts as a failure of that client.
/// </summary>
internal sealed class GrainClient(int id, ClientTurns turns, CoordinatorTransport coordinator) : IFlClient
{
    /// <inheritdoc/>
    public int Id => id;

    /// <inheritdoc/>
    public double Work(ITransport transport)
    {
        var turn = turns.Take(id);
        coordinator.Accept(id, turn);
        return turn.Flops;
    }
}
