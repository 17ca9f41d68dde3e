namespace NanoFed.Cluster;

/// <summary>
/// The turns of the clients' grains, taken by the runner one client at a time in ascending id. Where the method's
/// clients make no calls to the server (FedAvg, EcoFed: <paramref name="concurrent"/>), the first turn a round asks
/// for starts the turns of every client the round's messages wait for, so they train at once on their silos; each
/// turn's result is still taken, recorded and aggregated in ascending id, so the run stays the simulation's. Split
/// methods' clients call the server batch by batch, and the server's copies must see them in id order, so their
/// turns run one after another.
/// </summary>
internal sealed class ClientTurns(CoordinatorTransport coordinator, Func<int, IFlClientGrain> grains, string configJson, IFlServerCalls server, bool concurrent)
{
    private readonly Dictionary<int, Task<ClientTurn>> _started = [];

    /// <summary>The turn of <paramref name="client"/>, started now unless the round already started it; waits for it.</summary>
    public ClientTurn Take(int client)
    {
        if (!_started.ContainsKey(client))
        {
            // A turn left over from a round that stopped early is replaced: its client's messages of this round are new.
            foreach (int c in concurrent ? coordinator.Waiting().Append(client).Distinct() : [client]) _started[c] = Start(c);
        }
        _started.Remove(client, out var turn);
        return turn!.GetAwaiter().GetResult();
    }

    private Task<ClientTurn> Start(int client) => grains(client).Work(configJson, coordinator.Take(client), server);
}
