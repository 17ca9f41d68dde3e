using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Orleans;

namespace NanoFed.Cluster;

/// <summary>
/// A federated run on an Orleans cluster: the run's strategy and <see cref="FlRunner"/>, as in the in-process
/// simulation, with one <see cref="IFlClientGrain"/> per client (key: client id, key extension: the run id).
/// The runner takes the clients' results in ascending id, as in the simulation, so aggregation and split learning's
/// server copies see the same order whatever silo a grain lives on, and the final model is the simulation's bit for
/// bit; the clients of methods without calls to the server train at once (<see cref="ClientTurns"/>). The ledger holds every message's <c>WireFormat</c> size; what Orleans adds on top is not in it.
/// </summary>
public sealed class FlCoordinator : IFlServerCalls, IDisposable
{
    private readonly IGrainFactory _grains;
    private readonly CoordinatorTransport _transport;
    private readonly IFlServerCalls _reference;
    private readonly ClientTurns _turns;

    /// <summary>How often the coordinator, waiting for a turn, checks that the turn's silo is still in the cluster.</summary>
    public static readonly TimeSpan WatchPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Builds the run of <paramref name="experiment"/> over the grains of <paramref name="grains"/> (a cluster client or a silo's factory).</summary>
    public FlCoordinator(FlExperiment experiment, IGrainFactory grains, string runId)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        _grains = grains ?? throw new ArgumentNullException(nameof(grains));
        Experiment = experiment;
        var ledger = new TrafficLedger();
        _transport = new CoordinatorTransport(ledger, experiment.Strategy as IMessageHandler);
        _reference = grains.CreateObjectReference<IFlServerCalls>(this);
        _turns = new ClientTurns(_transport, c => grains.GetGrain<IFlClientGrain>(c, runId), experiment.Config.ToJson(), _reference,
            concurrent: experiment.Strategy is not IMessageHandler,
            restart: experiment.Strategy switch { IRedoableTurns redo => redo.ForgetTurn, IMessageHandler => null, _ => _ => { } }, new SiloWatch(grains, WatchPeriod));
        var clients = new ClientPopulation(experiment.Train, experiment.Partition, experiment.Normalization, d => new GrainClient(d.Id, _turns, _transport));
        Runner = experiment.Runner(clients, _transport, ledger);
    }

    /// <summary>The run.</summary>
    public FlExperiment Experiment { get; }

    /// <summary>The runner: run rounds with it.</summary>
    public FlRunner Runner { get; }

    /// <summary>Client turns started again because their silo was lost while they were in flight (<see cref="ClientTurns"/>).</summary>
    public int RedoneTurns => _turns.Redone;

    /// <inheritdoc/>
    Task<byte[]> IFlServerCalls.Call(byte[] request) => Task.FromResult(_transport.Answer(request));

    /// <summary>Stops answering the grains' calls.</summary>
    public void Dispose() => _grains.DeleteObjectReference<IFlServerCalls>(_reference);
}
