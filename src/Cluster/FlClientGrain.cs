using NanoFed.Federation.Fl;
using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace NanoFed.Cluster;

/// <summary>
/// A client of a federated run, hosted by a silo (<see cref="IFlClientGrain"/>). It holds no model: each turn builds
/// its client on the silo's data (<see cref="SiloData.Turn"/>) and lets it go after, so a grain outside the round's
/// sample costs a few hundred bytes and an idle one deactivates after the silo's collection age
/// (<see cref="SiloSetup.AddNanoFed"/>). What a client keeps from one turn to the next (<see cref="IKeepsState"/>:
/// FedGKT's server logits) goes to grain storage (<see cref="SiloSetup.StorageName"/>), so it survives deactivation
/// and a move to another silo. Placement hashes the grain's id over the silos, so a run's clients spread evenly and
/// the same way every run on a cluster.
/// </summary>
[HashBasedPlacement]
internal sealed class FlClientGrain(SiloData data, [PersistentState("kept", SiloSetup.StorageName)] IPersistentState<KeptState> kept) : Grain, IFlClientGrain
{
    private int _calls;

    /// <inheritdoc/>
    public Task<bool> Busy() => Task.FromResult(Volatile.Read(ref _calls) > 0);

    /// <inheritdoc/>
    public async Task<ClientTurn> Work(string configJson, byte[][] inbox, IFlServerCalls server)
    {
        Interlocked.Increment(ref _calls);
        try
        {
            return await Turn(configJson, inbox, server);
        }
        finally
        {
            Interlocked.Decrement(ref _calls);
        }
    }

    private async Task<ClientTurn> Turn(string configJson, byte[][] inbox, IFlServerCalls server)
    {
        ArgumentNullException.ThrowIfNull(configJson);
        ArgumentNullException.ThrowIfNull(inbox);
        ArgumentNullException.ThrowIfNull(server);
        int id = checked((int)this.GetPrimaryKeyLong(out _));
        // A fresh transport per turn: nothing of a failed turn is left for the next one.
        var transport = new GrainTransport(id) { Server = server };
        transport.Hand(inbox);
        // A turn of this round already wrote its state (its silo died before the reply left, and this is the redo):
        // start from what that turn started from, so the redo is the lost turn bit for bit.
        var before = kept.State.Round == transport.Round ? kept.State.Before : kept.State.Bytes;
        var (flops, after) = await data.Turn(configJson, id, client =>
        {
            var keeper = client as IKeepsState;
            if (before is not null) keeper?.RestoreKept(before);
            return (client.Work(transport), keeper?.SaveKept());
        });
        if (after is not null)
        {
            (kept.State.Round, kept.State.Before, kept.State.Bytes) = (transport.Round, before, after);
            await kept.WriteStateAsync();
        }
        var (sent, ledger) = transport.TakeSent();
        return new ClientTurn(sent, ledger, flops);
    }
}

/// <summary>
/// What a client grain keeps in grain storage between its turns (<see cref="IKeepsState.SaveKept"/>): the state its
/// last turn left, and the state that turn started from, so that a turn redone in the same round starts where the lost
/// one did.
/// </summary>
[GenerateSerializer]
public sealed class KeptState
{
    /// <summary>The client's kept state after its last turn; null while it has none.</summary>
    [Id(0)]
    public byte[]? Bytes { get; set; }

    /// <summary>The round of the turn that wrote <see cref="Bytes"/>.</summary>
    [Id(1)]
    public int Round { get; set; }

    /// <summary>The state that turn started from; null if it started with none.</summary>
    [Id(2)]
    public byte[]? Before { get; set; }
}
