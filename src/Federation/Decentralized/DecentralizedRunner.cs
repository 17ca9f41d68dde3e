using System.Numerics.Tensors;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Optim;
using NanoFed.Nets.Training;
using NanoFed.Threading;

namespace NanoFed.Federation.Decentralized;

/// <summary>How agents communicate after their local steps.</summary>
public enum Communication
{
    /// <summary>One exchange of an <see cref="IGossip"/> protocol (SGP = <see cref="PushSum"/>, Sparse-Push = <see cref="SparsePush.Create"/>).</summary>
    Gossip,

    /// <summary>Exact averaging every iteration (all-reduce SGD, the centralized reference; bytes of a ring all-reduce).</summary>
    AllReduce,

    /// <summary>No communication (every agent trains alone).</summary>
    None,
}

/// <summary>
/// Decentralized training loop (SGP, Assran et al., arXiv 1811.10792; Sparse-Push, specs/sparse-push.md): an
/// iteration is one local SGD step for every agent (in parallel over agents through <see cref="Workers.For{TBody}"/>,
/// each agent's kernels then serial, so results do not depend on the thread count), then one communication step.
/// Gossip runs through one <see cref="GossipPeer"/> per agent: every peer sends its messages through the caller's
/// <see cref="ITransport"/>, then every peer receives its inbox, so the ledger holds the serialized bytes of every
/// message, kind <see cref="MessageKind.Weights"/> (BatchNorm statistics: <see cref="MessageKind.Statistics"/>),
/// round = iteration and phase <see cref="MessagePhase.Training"/>; the consensus phase (<see cref="RunConsensusRounds"/>)
/// numbers its rounds from 0 in phase <see cref="MessagePhase.Consensus"/>. All-reduce is not a message exchange
/// here: its ring's chunks are recorded in the ledger by size.
/// </summary>
public sealed partial class DecentralizedRunner
{
    private readonly Agent[] _agents;
    private readonly GossipPeer[] _peers;
    private readonly IGossip? _gossip;
    private readonly (string Name, ImageDataset Data)[] _tests;
    private readonly Normalization _normalization;
    private readonly ILrSchedule? _schedule;
    private readonly List<DecentralizedMetrics> _history = [];
    private IGossip? _active;
    private int _epoch;
    private long _consensusRound;
    private bool[]? _present;

    /// <summary>
    /// A runner over <paramref name="agents"/> (all with the same model architecture; agent i has id i) communicating by
    /// <paramref name="communication"/> (<paramref name="gossip"/> is required for <see cref="Communication.Gossip"/>
    /// and must have one node per agent) through <paramref name="transport"/>, which records every message in
    /// <paramref name="ledger"/>; evaluated on <paramref name="tests"/> (the first set is the primary figure), with
    /// every agent's learning rate set from <paramref name="schedule"/> at each iteration (step = iteration index;
    /// null keeps the agents' own rates).
    /// </summary>
    public DecentralizedRunner(IReadOnlyList<Agent> agents, Communication communication, IGossip? gossip, IReadOnlyList<(string Name, ImageDataset Data)> tests,
        Normalization normalization, ITransport transport, TrafficLedger ledger, ILrSchedule? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        Ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        ArgumentNullException.ThrowIfNull(agents);
        ArgumentNullException.ThrowIfNull(tests);
        if (agents.Count == 0) throw new ArgumentException("need at least one agent", nameof(agents));
        if (tests.Count == 0) throw new ArgumentException("need at least one test set", nameof(tests));
        _agents = [.. agents];
        int d = _agents[0].Layout.Total;
        if (_agents.Any(a => a.Layout.Total != d)) throw new ArgumentException("agents have different parameter counts", nameof(agents));
        for (int i = 0; i < _agents.Length; i++)
            if (_agents[i].Id != i) throw new ArgumentException($"agent {i} has id {_agents[i].Id}", nameof(agents));
        _peers = _agents.Select(a => new GossipPeer(a, transport)).ToArray();
        if (communication == Communication.Gossip)
        {
            _gossip = gossip ?? throw new ArgumentNullException(nameof(gossip), "gossip communication needs a protocol");
            CheckNodeCount(gossip);
            foreach (var p in _peers) p.Use(gossip);
        }
        _active = _gossip;
        Communication = communication;
        _tests = [.. tests];
        if (_tests.Any(t => t.Data is null)) throw new ArgumentException("a test set is null", nameof(tests));
        _normalization = normalization ?? throw new ArgumentNullException(nameof(normalization));
        _schedule = schedule;
        IterationsPerEpoch = _agents.Min(a => a.Loader.BatchesPerEpoch);
    }

    /// <summary>The agents.</summary>
    public IReadOnlyList<Agent> Agents => _agents;

    /// <summary>The peers, one per agent, that the runner drives.</summary>
    public IReadOnlyList<GossipPeer> Peers => _peers;

    /// <summary>The communication mode.</summary>
    public Communication Communication { get; }

    /// <summary>
    /// The caller's ledger, which the transport records every message in (gossip: one entry per serialized message;
    /// all-reduce: the ring all-reduce's 2(n − 1) chunks per agent). <see cref="TrainingBytes"/> and
    /// <see cref="ConsensusBytes"/> add up its phases over the whole run, across resumes (checkpoints carry them).
    /// </summary>
    public TrafficLedger Ledger { get; }

    /// <summary>Iterations per epoch: the fewest full batches of any agent.</summary>
    public int IterationsPerEpoch { get; }

    /// <summary>Iterations run so far.</summary>
    public long Iteration { get; private set; }

    /// <summary>Training epochs completed.</summary>
    public int CompletedEpochs => _epoch;

    /// <summary>Bytes sent by all agents in training iterations over the whole run (ledger phase <see cref="MessagePhase.Training"/>).</summary>
    public long TrainingBytes { get; private set; }

    /// <summary>Bytes sent by all agents in consensus rounds over the whole run (ledger phase <see cref="MessagePhase.Consensus"/>).</summary>
    public long ConsensusBytes { get; private set; }

    /// <summary>Every metrics row so far (training epochs and consensus phases), restored by <see cref="Load"/>.</summary>
    public IReadOnlyList<DecentralizedMetrics> History => _history;

    /// <summary>Evaluation batch size.</summary>
    public int EvalBatchSize { get; set; } = 500;

    /// <summary>
    /// Agents are evaluated on the secondary test sets (all but the first) only at epochs that are multiples of
    /// this (and whenever <see cref="RunEpoch"/> is asked for a full evaluation); the averaged model and the first
    /// set are always evaluated. 1 (the default) evaluates everything every epoch.
    /// </summary>
    public int SecondaryEvalEvery
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = 1;

    /// <summary>
    /// Checked between iterations and consensus rounds (an <see cref="OperationCanceledException"/> then leaves the
    /// runner mid-epoch: continue from the last checkpoint).
    /// </summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>Called after each training iteration with the number of iterations done in the epoch (progress display).</summary>
    public Action<int>? IterationCompleted { get; set; }

    /// <summary>
    /// Fault injection (gossip only): whether agent i (second argument) is away at training iteration t (first). An
    /// agent away takes no step, sends nothing and applies nothing, so its z and w stay as they were until it is back;
    /// the transport must lose what is sent to it (GossipExperiment's does), which the senders keep, so Σ z and Σ w are
    /// conserved. A pure function of (t, i), so a resumed run sees the same absences. Null: every agent is always there.
    /// </summary>
    public Func<long, int, bool>? Away { get; set; }

    /// <summary>The learning rate at iteration <paramref name="iteration"/> (the agents' own rate without a schedule).</summary>
    public double LrAt(long iteration) => _schedule?.LrAt(checked((int)iteration)) ?? _agents[0].Optimizer.Lr;

    /// <summary>
    /// Runs one epoch of <see cref="IterationsPerEpoch"/> iterations, evaluates (agents on every test set when
    /// <paramref name="fullEvaluation"/> or the epoch is a multiple of <see cref="SecondaryEvalEvery"/>) and appends the row to
    /// <see cref="History"/>.
    /// </summary>
    public DecentralizedMetrics RunEpoch(bool fullEvaluation = false)
    {
        if (!ReferenceEquals(_active, _gossip)) Use(_gossip);
        int epoch = _epoch;
        var enumerators = _agents.Select(a => a.Loader.Epoch(epoch).GetEnumerator()).ToArray();
        var batches = new Batch[_agents.Length];
        long bytesBefore = Ledger.Total(MessagePhase.Training);
        double lr = LrAt(Iteration);
        try
        {
            for (int it = 0; it < IterationsPerEpoch; it++)
            {
                Cancellation.ThrowIfCancellationRequested();
                Next(enumerators, batches);
                lr = LrAt(Iteration);
                foreach (var a in _agents) a.Optimizer.Lr = lr;
                var present = Present(Iteration);
                Workers.For(_agents.Length, new LocalSteps(_peers, batches, forwardOnly: false, present));
                Communicate(present);
                CheckFinite(it);
                Iteration++;
                IterationCompleted?.Invoke(it + 1);
            }
        }
        finally
        {
            foreach (var e in enumerators) e.Dispose();
        }
        return EndEpoch(lr, Ledger.Total(MessagePhase.Training) - bytesBefore, _agents.Average(a => a.TakeTrainStats().Loss), fullEvaluation);
    }

    /// <summary>
    /// Records a training epoch whose iterations ran elsewhere (each agent on a cluster grain, as the cluster's
    /// coordinator runs them): the agents already hold the states they ended the epoch with (<see cref="Agent.Restore"/>),
    /// <paramref name="bytes"/> are the epoch's training bytes and <paramref name="loss"/> the mean of the agents' mean
    /// training losses, in agent order. Evaluates and appends the row as <see cref="RunEpoch"/> does, so the history
    /// and checkpoints are those of the epoch run here.
    /// </summary>
    public DecentralizedMetrics RecordEpoch(long bytes, double loss, bool fullEvaluation = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (!ReferenceEquals(_active, _gossip)) throw new InvalidOperationException("an epoch run elsewhere is a training epoch, not a consensus round");
        Iteration += IterationsPerEpoch;
        return EndEpoch(LrAt(Iteration - 1), bytes, loss, fullEvaluation);
    }

    private DecentralizedMetrics EndEpoch(double lr, long bytes, double loss, bool fullEvaluation)
    {
        _epoch++;
        TrainingBytes += bytes;
        bool full = fullEvaluation || _epoch % SecondaryEvalEvery == 0;
        var row = Evaluate(DecentralizedPhase.Training, 0, lr, loss, bytes, full);
        _history.Add(row);
        return row;
    }

    /// <summary>
    /// Stops the run when an agent's push-sum state (z, w) is no longer finite after iteration <paramref name="it"/>
    /// of the epoch: a diverging run must not go on for hours, and the epoch's checkpoint is never written, so the last
    /// one on disk is the last good state. One vector sum per agent, at memory speed.
    /// </summary>
    private void CheckFinite(int it)
    {
        foreach (var a in _agents)
        {
            var node = a.Node;
            if (float.IsFinite(node.W) && float.IsFinite(TensorPrimitives.Sum(node.Z))) continue;
            int bad = 0;
            foreach (float v in node.Z)
                if (!float.IsFinite(v)) bad++;
            string what = !float.IsFinite(node.W) ? $"its push-sum weight is {node.W}"
                : bad > 0 ? $"its model holds {bad} non-finite value(s) of {node.Z.Length}" : "its model sums to more than a float holds";
            throw new DivergenceException($"diverged at epoch {_epoch + 1}, iteration {it + 1} of {IterationsPerEpoch} (iteration {Iteration + 1} of the run): agent {a.Id}: {what}");
        }
    }

    /// <summary>
    /// Skew-Compensated Sparse-Push's consensus phase (specs/sparse-push.md): <paramref name="rounds"/> rounds of one
    /// train-mode forward pass per agent on its next local batch (BatchNorm statistics follow the local data; no
    /// optimizer step) followed by one exchange of <paramref name="protocol"/> (default: uncompressed
    /// <see cref="PushSum"/>, γ = 1, over the training protocol's graph, at every round even when training gossips
    /// every H iterations). Its messages are in phase <see cref="MessagePhase.Consensus"/>, rounds numbered from 0 over all consensus phases of the run, and their bytes
    /// go to <see cref="ConsensusBytes"/>; the returned row (also appended to
    /// <see cref="History"/>) evaluates the agents on every test set. With <paramref name="mixBatchNorm"/> every round
    /// also gossips each agent's buffers (BatchNorm running statistics) by dense push-sum over the same graph
    /// (<see cref="GossipPeer.StartStatistics"/>, messages of kind <see cref="MessageKind.Statistics"/> in the same
    /// round and phase, bytes counted with the round's): on skewed data the agents then end with statistics of the union of the local data
    /// instead of their own one or two classes. A model without buffers (GroupNorm, EvoNorm-S0) has nothing to mix: no
    /// such message is sent.
    /// </summary>
    /// <remarks>
    /// A protocol other than the training one gets fresh nodes built from the current x_i, then each node's z_i and w_i
    /// are carried over unchanged, so Σ z and Σ w, hence the push-sum average Σ z / Σ w, are conserved across the
    /// switch; protocol-private state starts fresh (an error memory at 0; form (B)'s public copies at 0, as for a new
    /// edge). A later <see cref="RunEpoch"/> switches back to the training protocol the same way.
    /// </remarks>
    public DecentralizedMetrics RunConsensusRounds(int rounds, IGossip? protocol = null, bool mixBatchNorm = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rounds);
        protocol ??= new PushSum(_gossip is { } gossip ? PeriodicTopology.Underlying(gossip.Topology)
            : throw new ArgumentException("consensus rounds without a training topology need an explicit protocol", nameof(protocol)));
        CheckNodeCount(protocol);
        if (!ReferenceEquals(_active, protocol)) Use(protocol);
        long bytesBefore = Ledger.Total(MessagePhase.Consensus);
        var batches = new Batch[_agents.Length];
        int loaderEpoch = _epoch;
        var enumerators = _agents.Select(a => a.Loader.Epoch(loaderEpoch).GetEnumerator()).ToArray();
        foreach (var a in _agents) a.TakeTrainStats();
        if (mixBatchNorm && _agents[0].BufferLength > 0)
            foreach (var p in _peers) p.StartStatistics(protocol.Topology);
        try
        {
            for (int r = 0; r < rounds; r++)
            {
                Cancellation.ThrowIfCancellationRequested();
                if (r > 0 && r % IterationsPerEpoch == 0)
                {
                    foreach (var e in enumerators) e.Dispose();
                    loaderEpoch++;
                    enumerators = _agents.Select(a => a.Loader.Epoch(loaderEpoch).GetEnumerator()).ToArray();
                }
                Next(enumerators, batches);
                Workers.For(_agents.Length, new LocalSteps(_peers, batches, forwardOnly: true, present: null));
                Exchange(_consensusRound++, MessagePhase.Consensus);
            }
        }
        finally
        {
            foreach (var e in enumerators) e.Dispose();
            foreach (var p in _peers) p.StopStatistics();
        }
        long bytes = Ledger.Total(MessagePhase.Consensus) - bytesBefore;
        ConsensusBytes += bytes;
        double loss = _agents.Average(a => a.TakeTrainStats().Loss);
        var row = Evaluate(DecentralizedPhase.Consensus, rounds, LrAt(Math.Max(0, Iteration - 1)), loss, bytes, full: true);
        _history.Add(row);
        return row;
    }

    /// <summary>Makes <paramref name="protocol"/> gossip every peer's parameters, carrying z and w over (see <see cref="GossipPeer.Use"/>).</summary>
    private void Use(IGossip? protocol)
    {
        foreach (var p in _peers) p.Use(protocol);
        _active = protocol;
    }

    /// <summary>One synchronous exchange: every peer (every <paramref name="present"/> one) sends its messages of round <paramref name="t"/>, then receives.</summary>
    private void Exchange(long t, MessagePhase phase, bool[]? present = null)
    {
        for (int i = 0; i < _peers.Length; i++)
            if (present?[i] != false) _peers[i].Send(t, phase);
        for (int i = 0; i < _peers.Length; i++)
            if (present?[i] != false) _peers[i].Receive(t, phase);
    }

    /// <summary>Which agents are there at training iteration <paramref name="t"/> (<see cref="Away"/>); null when all always are.</summary>
    private bool[]? Present(long t)
    {
        if (Away is not { } away || Communication != Communication.Gossip) return null;
        _present ??= new bool[_agents.Length];
        for (int i = 0; i < _present.Length; i++) _present[i] = !away(t, i);
        return _present;
    }

    private void CheckNodeCount(IGossip protocol)
    {
        if (protocol.Topology.NodeCount != _agents.Length)
            throw new ArgumentException($"topology of {protocol.Topology.NodeCount} nodes for {_agents.Length} agents", nameof(protocol));
    }

    private static void Next(IEnumerator<Batch>[] enumerators, Batch[] batches)
    {
        for (int i = 0; i < enumerators.Length; i++)
        {
            if (!enumerators[i].MoveNext()) throw new InvalidOperationException($"agent {i} ran out of batches");
            batches[i] = enumerators[i].Current;
        }
    }

    private void Communicate(bool[]? present)
    {
        switch (Communication)
        {
            case Communication.Gossip:
                Exchange(Iteration, MessagePhase.Training, present);
                break;
            case Communication.AllReduce:
                var mean = Average(_agents.Select(a => a.Node.Estimate()).ToArray());
                foreach (var a in _agents)
                {
                    mean.CopyTo(a.Node.Z, 0);
                    a.Node.W = 1;
                }
                RecordAllReduce(mean.Length);
                break;
            case Communication.None:
                break;
        }
    }

    /// <summary>Ring all-reduce: each agent sends 2(n − 1) chunks of ⌈d / n⌉ floats to its successor.</summary>
    private void RecordAllReduce(int d)
    {
        int n = _agents.Length;
        if (n == 1) return;
        long chunk = 4L * ((d + n - 1) / n);
        for (int i = 0; i < n; i++)
            for (int s = 0; s < 2 * (n - 1); s++)
                Ledger.Record(new LedgerEntry(checked((int)Iteration), i, (i + 1) % n, MessageKind.Weights, chunk));
    }

    /// <summary>
    /// Evaluates every agent's x_i and the averaged model: the averaged model on every test set, the agents on the
    /// first set and, when <paramref name="full"/>, on the others too.
    /// </summary>
    private DecentralizedMetrics Evaluate(DecentralizedPhase phase, int rounds, double lr, double trainLoss, long bytes, bool full)
    {
        var xs = _agents.Select(a => a.Node.Estimate()).ToArray();
        var mean = Average(xs);
        double consensus = 0;
        foreach (var x in xs)
        {
            double s = 0;
            for (int k = 0; k < x.Length; k++) s += (double)(x[k] - mean[k]) * (x[k] - mean[k]);
            consensus += Math.Sqrt(s);
        }
        consensus /= xs.Length;
        var tests = EvaluateTests(xs, mean, full);
        int n = _agents.Length;
        var first = tests[0];
        return new DecentralizedMetrics(phase, _epoch, Iteration, rounds, lr, trainLoss, first.MeanAccuracy!.Value, first.MinAccuracy!.Value,
            first.MaxAccuracy!.Value, first.AveragedAccuracy, consensus, bytes / (double)n, (TrainingBytes + ConsensusBytes) / (double)n,
            _agents.Min(a => a.Node.W), _agents.Max(a => a.Node.W), tests)
        {
            WeightSum = _agents.Sum(a => (double)a.Node.W),
        };
    }

    /// <summary>
    /// The averaged model and every agent evaluated on every test set in the current state, without training or
    /// recording a row (for example to score a finished run's checkpoint on another test set).
    /// </summary>
    public IReadOnlyList<TestSetAccuracy> EvaluateTests()
    {
        var xs = _agents.Select(a => a.Node.Estimate()).ToArray();
        return EvaluateTests(xs, Average(xs), full: true);
    }

    /// <summary>
    /// The averaged model and each agent on every test set in the current state, without training or recording a row
    /// (what `nanofed eval` prints of a gossip run folder).
    /// </summary>
    public IReadOnlyList<AgentAccuracies> EvaluateEach()
    {
        var xs = _agents.Select(a => a.Node.Estimate()).ToArray();
        var averaged = EvaluateAveraged(Average(xs));
        var each = new AgentAccuracies[_tests.Length];
        for (int t = 0; t < _tests.Length; t++)
        {
            var accuracies = new double[_agents.Length];
            Workers.For(_agents.Length, new AgentEvaluation(this, xs, _tests[t].Data, accuracies));
            each[t] = new AgentAccuracies(_tests[t].Name, _tests[t].Data.Count, averaged[t], accuracies);
        }
        return each;
    }

    /// <summary>x̄ on every test set; the agents on the first one, and on the others too when <paramref name="full"/>.</summary>
    private TestSetAccuracy[] EvaluateTests(float[][] xs, float[] mean, bool full)
    {
        var averaged = EvaluateAveraged(mean);
        var tests = new TestSetAccuracy[_tests.Length];
        for (int t = 0; t < _tests.Length; t++)
        {
            if (t > 0 && !full)
            {
                tests[t] = new TestSetAccuracy(_tests[t].Name, averaged[t], null, null, null);
                continue;
            }
            var accuracies = new double[_agents.Length];
            Workers.For(_agents.Length, new AgentEvaluation(this, xs, _tests[t].Data, accuracies));
            tests[t] = new TestSetAccuracy(_tests[t].Name, averaged[t], accuracies.Average(), accuracies.Min(), accuracies.Max());
        }
        return tests;
    }

    /// <summary>Accuracies of x̄ on every test set in agent 0's model with the agents' BatchNorm buffers averaged; agent 0's parameters and buffers are restored after.</summary>
    private double[] EvaluateAveraged(float[] mean)
    {
        var model = _agents[0].Model;
        var buffers = model.NamedBuffers();
        var saved = buffers.Select(b => b.Buffer.Span.ToArray()).ToArray();
        var others = _agents.Select(a => a.Model.NamedBuffers()).ToArray();
        for (int b = 0; b < buffers.Count; b++)
        {
            var dst = buffers[b].Buffer.Span;
            for (int k = 0; k < dst.Length; k++)
            {
                double s = 0;
                foreach (var o in others) s += o[b].Buffer.Span[k];
                dst[k] = (float)(s / others.Length);
            }
        }
        var own = new float[mean.Length];
        _agents[0].CopyParameters(own);
        _agents[0].LoadParameters(mean);
        var accuracies = _tests.Select(t => Evaluator.Evaluate(model, t.Data, _normalization, "averaged " + t.Name, EvalBatchSize).Accuracy).ToArray();
        _agents[0].LoadParameters(own);
        for (int b = 0; b < buffers.Count; b++) saved[b].CopyTo(buffers[b].Buffer.Span);
        return accuracies;
    }

    /// <summary>Coordinate-wise mean of <paramref name="xs"/> (summed in double in agent order).</summary>
    private static float[] Average(float[][] xs)
    {
        var mean = new float[xs[0].Length];
        for (int k = 0; k < mean.Length; k++)
        {
            double s = 0;
            foreach (var x in xs) s += x[k];
            mean[k] = (float)(s / xs.Length);
        }
        return mean;
    }

    /// <summary>Agent i's x_i into its model, then its accuracy (the agents in parallel; each count is exact, so thread-independent).</summary>
    private readonly struct AgentEvaluation(DecentralizedRunner runner, float[][] xs, ImageDataset data, double[] accuracies) : IParallelBody
    {
        public void Invoke(int index)
        {
            var agent = runner._agents[index];
            agent.LoadParameters(xs[index]);
            accuracies[index] = Evaluator.Evaluate(agent.Model, data, runner._normalization, "agent", runner.EvalBatchSize).Accuracy;
        }
    }

    private readonly struct LocalSteps(GossipPeer[] peers, Batch[] batches, bool forwardOnly, bool[]? present) : IParallelBody
    {
        public void Invoke(int index)
        {
            if (present?[index] == false) return;
            if (forwardOnly) peers[index].Forward(batches[index]);
            else peers[index].Step(batches[index]);
        }
    }
}
