using NanoFed.Federation.Decentralized;
using Orleans;
using Orleans.Placement;

namespace NanoFed.Cluster;

/// <summary>
/// An agent of a gossip run, hosted by a silo (<see cref="IGossipAgentGrain"/>). Its transport lives as long as the
/// agent, because the agent's gossip channel keeps it; the coordinator hands it each iteration's inbox and takes its
/// sends. Work runs on the thread pool, off the silo's scheduler, and placement hashes the grain's id over the silos.
/// </summary>
[HashBasedPlacement]
internal sealed class GossipAgentGrain(SiloData data) : Grain, IGossipAgentGrain
{
    private PeerDriver? _driver;
    private GrainTransport? _transport;
    private int _calls;

    /// <inheritdoc/>
    public Task<bool> Busy() => Task.FromResult(Volatile.Read(ref _calls) > 0);

    /// <inheritdoc/>
    public Task<AgentSends> Send(string configJson, long iteration) => Counted(async () =>
    {
        ArgumentNullException.ThrowIfNull(configJson);
        if (_driver is null && iteration == 0) Build(configJson);
        var driver = Next(iteration);
        await Task.Run(driver.SendIteration);
        var (sent, ledger) = _transport!.TakeSent();
        return new AgentSends(sent, ledger);
    });

    /// <inheritdoc/>
    public Task Receive(long iteration, byte[][] inbox) => Counted(async () =>
    {
        ArgumentNullException.ThrowIfNull(inbox);
        var driver = Next(iteration);
        _transport!.Hand(inbox);
        await Task.Run(driver.ReceiveIteration);
        return true;
    });

    /// <inheritdoc/>
    public Task Restore(string configJson, long iteration, AgentState state) => Counted(() =>
    {
        ArgumentNullException.ThrowIfNull(configJson);
        ArgumentNullException.ThrowIfNull(state);
        var driver = Build(configJson);
        driver.Peer.Agent.Restore(state.Names.Zip(state.Values).ToDictionary(e => e.First, e => e.Second, StringComparer.Ordinal));
        driver.Rejoin(iteration);
        return Task.FromResult(true);
    });

    /// <summary>Runs <paramref name="call"/> counted as a call at work (<see cref="Busy"/>).</summary>
    private async Task<T> Counted<T>(Func<Task<T>> call)
    {
        Interlocked.Increment(ref _calls);
        try
        {
            return await call();
        }
        finally
        {
            Interlocked.Decrement(ref _calls);
        }
    }

    /// <inheritdoc/>
    public Task<AgentState> State()
    {
        var driver = _driver ?? throw new InvalidOperationException("the agent has not started");
        var state = driver.State();
        return Task.FromResult(new AgentState([.. state.Select(t => t.Name)], [.. state.Select(t => t.Value.Span.ToArray())]));
    }

    /// <inheritdoc/>
    public Task<AgentSnapshot> Snapshot()
    {
        var agent = (_driver ?? throw new InvalidOperationException("the agent has not started")).Peer.Agent;
        var state = agent.Snapshot();
        var values = new AgentState([.. state.Select(t => t.Name)], [.. state.Select(t => t.Value.Span.ToArray())]);
        return Task.FromResult(new AgentSnapshot(values, agent.TakeTrainStats().Loss));
    }

    /// <summary>A new agent of the run, at iteration 0, in place of any the grain held.</summary>
    private PeerDriver Build(string configJson)
    {
        _driver?.Dispose();
        int id = checked((int)this.GetPrimaryKeyLong(out _));
        _transport = new GrainTransport(id);
        return _driver = new PeerDriver(data.Gossip(configJson), id, _transport);
    }

    /// <summary>The driver, checked to be at <paramref name="iteration"/>: a coordinator out of step must not train an agent twice.</summary>
    private PeerDriver Next(long iteration)
    {
        var driver = _driver ?? throw new AgentStateLostException(
            $"agent {this.GetPrimaryKeyLong(out _)} was asked for iteration {iteration} by a new activation that holds no state");
        if (driver.Iteration != iteration) throw new InvalidOperationException($"agent at iteration {driver.Iteration} was asked for iteration {iteration}");
        return driver;
    }

    /// <inheritdoc/>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _driver?.Dispose();
        return base.OnDeactivateAsync(reason, cancellationToken);
    }
}
