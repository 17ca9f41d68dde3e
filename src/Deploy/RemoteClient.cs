using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy;

/// <summary>
/// The server's stand-in for a device process: its turn is a "work now" orchestration call to the device, which takes
/// the round's messages already pushed to it, trains, sends its replies and answers with its FLOPs and the ledger
/// entries of what it sent; those go into the server's ledger, which so holds every message of the round as the
/// simulation's one ledger does. A device that is unreachable, fails or passes the deadline makes the turn throw,
/// which the runner counts as a failure of that client. Where the method's clients make no calls, the runner starts
/// every sampled device's turn at once (<see cref="IStartableClient"/>).
/// </summary>
internal sealed class RemoteClient(int id, GrpcTransport server, TrafficLedger ledger, Action<long> framing) : IStartableClient
{
    private Task<Message>? _started;

    /// <inheritdoc/>
    public int Id => id;

    /// <inheritdoc/>
    public void Start(ITransport transport) => _started = Task.Run(Call);

    /// <inheritdoc/>
    public double Work(ITransport transport)
    {
        var started = _started;
        _started = null;
        // The device's ledger entries are recorded here, when the runner takes the turn in id order, not when it ends.
        var reply = started is null ? Call() : started.GetAwaiter().GetResult();
        foreach (var entry in Orchestration.EntriesOf(reply))
        {
            if (entry.Sender != id) throw new TransportException($"client {id} reported a message sent by node {entry.Sender}");
            ledger.Record(entry);
        }
        framing((long)Orchestration.DoubleOf(reply, Orchestration.Framing));
        return Orchestration.DoubleOf(reply, Orchestration.Flops);
    }

    private Message Call() => server.Orchestrate(Orchestration.Of(0, Message.Server, id, (Orchestration.Work, [])));
}
