using NanoFed.Federation.Fl;
using Orleans;
using Orleans.Placement;

namespace NanoFed.Cluster;

/// <summary>
/// A client of a federated run, hosted by a silo (<see cref="IFlClientGrain"/>): it holds only its own client, built
/// on its first turn of a configuration from the silo's data, and runs each turn on the thread pool so that the
/// engine's blocking work and the client's synchronous calls to the server do not hold the silo's scheduler. Placement
/// hashes the grain's id over the silos, so a run's clients spread evenly and the same way every run on a cluster.
/// </summary>
[HashBasedPlacement]
internal sealed class FlClientGrain(SiloData data) : Grain, IFlClientGrain
{
    private IFlClient? _client;
    private string? _config;

    /// <inheritdoc/>
    public async Task<ClientTurn> Work(string configJson, byte[][] inbox, IFlServerCalls server)
    {
        ArgumentNullException.ThrowIfNull(configJson);
        ArgumentNullException.ThrowIfNull(inbox);
        ArgumentNullException.ThrowIfNull(server);
        int id = checked((int)this.GetPrimaryKeyLong(out _));
        if (_client is null || _config != configJson)
        {
            _client = await Task.Run(() => data.Client(configJson, id));
            _config = configJson;
        }
        var client = _client;
        // A fresh transport per turn: nothing of a failed turn is left for the next one.
        var transport = new GrainTransport(id) { Server = server };
        transport.Hand(inbox);
        double flops = await Task.Run(() => client.Work(transport));
        var (sent, ledger) = transport.TakeSent();
        return new ClientTurn(sent, ledger, flops);
    }
}
