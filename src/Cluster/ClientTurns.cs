using NanoFed.Federation.Transport;

namespace NanoFed.Cluster;

/// <summary>
/// The turns of the clients' grains, taken by the runner one client at a time in ascending id. Where the method's
/// clients make no calls to the server (FedAvg, EcoFed: <paramref name="concurrent"/>), the first turn a round asks
/// for starts the turns of every client the round's messages wait for, so they train at once on their silos; each
/// turn's result is still taken, recorded and aggregated in ascending id, so the run stays the simulation's. Split
/// methods' clients call the server batch by batch, and the server's copies must see them in id order, so their
/// turns run one after another.
/// <para>
/// A turn lost with its silo (the silo died or left while the turn was in flight) is started again with the same
/// inbox when <paramref name="restart"/> is given, for up to <see cref="RedoPatience"/>: Orleans activates the grain on a live silo, which rebuilds the
/// client from the configuration. A turn is a pure function of its inbox (the round context keys every random stream)
/// and the configuration (and of the state the client kept from its last round), so the redone turn's reply is the lost one's,
/// bit for bit; the lost turn's ledger rows never reached the coordinator (they come with a turn's result), so nothing
/// is counted twice. A client that keeps state (FedGKT's logits) starts the redo from the state the lost turn started
/// from (<see cref="KeptState"/>). <paramref name="restart"/> first undoes what the server did in the lost turn (split
/// learning's steps on the client's copy, FedGKT's features and copy: <see cref="Federation.Fl.IRedoableTurns"/>);
/// null where that cannot be undone, and then a lost turn is a failed client.
/// </para>
/// </summary>
internal sealed class ClientTurns(CoordinatorTransport coordinator, Func<int, IFlClientGrain> grains, string configJson, IFlServerCalls server, bool concurrent,
    Action<int>? restart, SiloWatch watch)
{
    /// <summary>
    /// How long a lost turn is tried again. A call to a silo that died fails at once where the caller's connection to it
    /// is refused, but the cluster goes on placing the grain there until the silo's peers have voted it dead (about 10 s
    /// measured on Redis membership): the turn is tried again every <see cref="SiloWatch.Period"/> until then.
    /// </summary>
    public static readonly TimeSpan RedoPatience = TimeSpan.FromMinutes(2);

    private readonly Dictionary<int, (byte[][] Inbox, IFlClientGrain Grain, Task<ClientTurn> Turn)> _started = [];

    /// <summary>Turns redone so far because their silo was lost.</summary>
    public int Redone { get; private set; }

    /// <summary>The turn of <paramref name="client"/>, started now unless the round already started it; waits for it.</summary>
    public ClientTurn Take(int client)
    {
        if (!_started.ContainsKey(client))
        {
            // A turn left over from a round that stopped early is replaced: its client's messages of this round are new.
            foreach (int c in concurrent ? coordinator.Waiting().Append(client).Distinct() : [client]) _started[c] = Start(c, coordinator.Take(c));
        }
        _started.Remove(client, out var turn);
        DateTime started = DateTime.UtcNow, lost = started;
        for (int attempt = 1; ; attempt++)
        {
            if (Finish(turn) is { } done) return done;
            var now = DateTime.UtcNow;
            // An attempt lost after running longer than the patience lost a silo anew: its own patience starts now.
            if (attempt == 1 || now - started > RedoPatience) lost = now;
            if (restart is null || now - lost > RedoPatience)
                throw new TransportException($"client {client}'s silo left the cluster during its turn ({attempt} attempts in {(now - lost).TotalSeconds:F0} s)");
            Thread.Sleep(watch.Period);
            restart(client);
            Redone++;
            started = DateTime.UtcNow;
            turn = Start(client, turn.Inbox);
        }
    }

    /// <summary>The result of <paramref name="turn"/>; null when its silo was lost under it.</summary>
    private ClientTurn? Finish((byte[][] Inbox, IFlClientGrain Grain, Task<ClientTurn> Turn) turn)
    {
        try
        {
            return watch.Await(turn.Grain, turn.Turn).GetAwaiter().GetResult();
        }
        catch (Exception e) when (SiloWatch.SiloLost(e))
        {
            return null;
        }
    }

    private (byte[][] Inbox, IFlClientGrain Grain, Task<ClientTurn> Turn) Start(int client, byte[][] inbox)
    {
        var grain = grains(client);
        return (inbox, grain, grain.Work(configJson, inbox, server));
    }
}
