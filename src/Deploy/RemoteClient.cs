using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy;

/// <summary>
/// The server's stand-in for a device process: its turn is a "work now" orchestration call to the device, which takes
/// the round's messages already pushed to it, trains, sends its replies and answers with its FLOPs and the ledger
/// entries of what it sent; those go into the server's ledger, which so holds every message of the round as the
/// simulation's one ledger does. A device that is unreachable, fails or passes the deadline makes the turn throw,
/// which the runner counts as a failure of that client.
/// </summary>
internal sealed class RemoteClient(int id, GrpcTransport server, TrafficLedger ledger, Action<long> framing) : IFlClient
{
    /// <inheritdoc/>
    public int Id => id;

    /// <inheritdoc/>
    public double Work(ITransport transport)
    {
        var reply = server.Orchestrate(Orchestration.Of(0, Message.Server, id, (Orchestration.Work, [])));
        foreach (var entry in Orchestration.EntriesOf(reply))
        {
            if (entry.Sender != id) throw new TransportException($"client {id} reported a message sent by node {entry.Sender}");
            ledger.Record(entry);
        }
        framing((long)Orchestration.DoubleOf(reply, Orchestration.Framing));
        return Orchestration.DoubleOf(reply, Orchestration.Flops);
    }
}
