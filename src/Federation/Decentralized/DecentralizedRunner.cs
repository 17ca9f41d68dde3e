using NanoFed.Federation.Gossip;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
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

/// <summary>Metrics of one decentralized epoch.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Iterations">Iterations run so far (all epochs).</param>
/// <param name="TrainLoss">Mean training loss over agents and batches of the epoch.</param>
/// <param name="MeanAccuracy">Mean over agents of the test accuracy of x_i = z_i / w_i (with the agent's own BatchNorm statistics).</param>
/// <param name="MinAccuracy">Lowest agent test accuracy.</param>
/// <param name="MaxAccuracy">Highest agent test accuracy.</param>
/// <param name="AveragedAccuracy">Test accuracy of the averaged model x̄ = (1/n) Σ x_i (BatchNorm buffers averaged too).</param>
/// <param name="ConsensusDistance">(1/n) Σ_i ‖x_i − x̄‖₂ over all parameters.</param>
/// <param name="BytesPerAgent">Bytes sent per agent in this epoch (ledger total of the epoch / n).</param>
/// <param name="MinWeight">Smallest push-sum weight w_i at the end of the epoch.</param>
/// <param name="MaxWeight">Largest push-sum weight w_i at the end of the epoch.</param>
public sealed record DecentralizedMetrics(int Epoch, long Iterations, double TrainLoss, double MeanAccuracy, double MinAccuracy, double MaxAccuracy,
    double AveragedAccuracy, double ConsensusDistance, double BytesPerAgent, float MinWeight, float MaxWeight);

/// <summary>
/// Decentralized training loop (SGP, Assran et al., arXiv 1811.10792; Sparse-Push, specs/sparse-push.md): an
/// iteration is one local SGD step for every agent (in parallel over agents through <see cref="Workers.For{TBody}"/>,
/// each agent's kernels then serial, so results do not depend on the thread count), then one communication step.
/// Every gossip message is recorded in <see cref="Ledger"/> as ⌈<see cref="IGossip.Bits"/> / 8⌉ bytes, kind
/// <see cref="MessageKind.Weights"/>, round = iteration.
/// </summary>
public sealed class DecentralizedRunner
{
    private readonly Agent[] _agents;
    private readonly IGossip? _gossip;
    private readonly ImageDataset _test;
    private readonly Normalization _normalization;
    private int _epoch;

    /// <summary>
    /// A runner over <paramref name="agents"/> (all with the same model architecture) communicating by
    /// <paramref name="communication"/> (<paramref name="gossip"/> is required for <see cref="Communication.Gossip"/>
    /// and must have one node per agent), evaluated on <paramref name="test"/>.
    /// </summary>
    public DecentralizedRunner(IReadOnlyList<Agent> agents, Communication communication, IGossip? gossip, ImageDataset test, Normalization normalization)
    {
        ArgumentNullException.ThrowIfNull(agents);
        if (agents.Count == 0) throw new ArgumentException("need at least one agent", nameof(agents));
        _agents = [.. agents];
        int d = _agents[0].Layout.Total;
        if (_agents.Any(a => a.Layout.Total != d)) throw new ArgumentException("agents have different parameter counts", nameof(agents));
        if (communication == Communication.Gossip)
        {
            _gossip = gossip ?? throw new ArgumentNullException(nameof(gossip), "gossip communication needs a protocol");
            if (gossip.Topology.NodeCount != _agents.Length)
                throw new ArgumentException($"topology of {gossip.Topology.NodeCount} nodes for {_agents.Length} agents", nameof(gossip));
            foreach (var a in _agents)
            {
                var x = new float[d];
                a.CopyParameters(x);
                a.Attach(gossip.CreateNode(x));
            }
        }
        Communication = communication;
        _test = test ?? throw new ArgumentNullException(nameof(test));
        _normalization = normalization ?? throw new ArgumentNullException(nameof(normalization));
        IterationsPerEpoch = _agents.Min(a => a.Loader.BatchesPerEpoch);
    }

    /// <summary>The agents.</summary>
    public IReadOnlyList<Agent> Agents => _agents;

    /// <summary>The communication mode.</summary>
    public Communication Communication { get; }

    /// <summary>Every message sent (gossip: one entry per message; all-reduce: the ring all-reduce's 2(n − 1) chunks per agent).</summary>
    public TrafficLedger Ledger { get; } = new();

    /// <summary>Iterations per epoch: the fewest full batches of any agent.</summary>
    public int IterationsPerEpoch { get; }

    /// <summary>Iterations run so far.</summary>
    public long Iteration { get; private set; }

    /// <summary>Evaluation batch size.</summary>
    public int EvalBatchSize { get; set; } = 500;

    /// <summary>Runs one epoch of <see cref="IterationsPerEpoch"/> iterations and evaluates.</summary>
    public DecentralizedMetrics RunEpoch()
    {
        int epoch = _epoch;
        var enumerators = _agents.Select(a => a.Loader.Epoch(epoch).GetEnumerator()).ToArray();
        var batches = new Batch[_agents.Length];
        long bytesBefore = Ledger.Total();
        try
        {
            for (int it = 0; it < IterationsPerEpoch; it++)
            {
                for (int i = 0; i < _agents.Length; i++)
                {
                    if (!enumerators[i].MoveNext()) throw new InvalidOperationException($"agent {i} ran out of batches");
                    batches[i] = enumerators[i].Current;
                }
                Workers.For(_agents.Length, new LocalSteps(_agents, batches));
                Communicate();
                Iteration++;
            }
        }
        finally
        {
            foreach (var e in enumerators) e.Dispose();
        }
        _epoch++;
        double loss = _agents.Average(a => a.TakeTrainStats().Loss);
        return Evaluate(epoch + 1, loss, (Ledger.Total() - bytesBefore) / (double)_agents.Length);
    }

    private void Communicate()
    {
        switch (Communication)
        {
            case Communication.Gossip:
                var nodes = _agents.Select(a => a.Node).ToArray();
                foreach (var m in GossipLoop.Step(_gossip!, nodes, Iteration))
                    Ledger.Record(new LedgerEntry(checked((int)Iteration), m.From, m.To, MessageKind.Weights, (_gossip!.Bits(m) + 7) / 8));
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

    /// <summary>Evaluates every agent's x_i and the averaged model on the test set.</summary>
    public DecentralizedMetrics Evaluate(int epoch, double trainLoss, double bytesPerAgent)
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
        var accuracies = new double[_agents.Length];
        for (int i = 0; i < _agents.Length; i++)
        {
            _agents[i].LoadParameters(xs[i]);
            accuracies[i] = Evaluator.Evaluate(_agents[i].Model, _test, _normalization, "test", EvalBatchSize).Accuracy;
        }
        double averaged = EvaluateAveraged(mean);
        return new DecentralizedMetrics(epoch, Iteration, trainLoss, accuracies.Average(), accuracies.Min(), accuracies.Max(), averaged, consensus,
            bytesPerAgent, _agents.Min(a => a.Node.W), _agents.Max(a => a.Node.W));
    }

    /// <summary>Accuracy of x̄ in agent 0's model with the agents' BatchNorm buffers averaged; agent 0's parameters and buffers are restored after.</summary>
    private double EvaluateAveraged(float[] mean)
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
        double accuracy = Evaluator.Evaluate(model, _test, _normalization, "averaged", EvalBatchSize).Accuracy;
        _agents[0].LoadParameters(own);
        for (int b = 0; b < buffers.Count; b++) saved[b].CopyTo(buffers[b].Buffer.Span);
        return accuracy;
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

    private readonly struct LocalSteps(Agent[] agents, Batch[] batches) : IParallelBody
    {
        public void Invoke(int index) => agents[index].Step(batches[index]);
    }
}
