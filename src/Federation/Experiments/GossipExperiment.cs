using System.Globalization;
using System.Text;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Experiments;

/// <summary>
/// The in-process simulation of a gossip run in a run folder: all n agents of a <see cref="GossipSetup"/>, the
/// <see cref="DecentralizedRunner"/> over an <see cref="InProcessTransport"/>, and the <see cref="Scsp"/> sequencing
/// (E training epochs, then SCSP's consensus phase). It writes config.json and, after every epoch and after the
/// consensus phase, checkpoint.safetensors (the configuration in its metadata), resumes from them, and scores a checkpoint into
/// evaluation.csv. `nanofed gossip` only maps options onto a <see cref="GossipConfig"/> and shows the progress.
/// </summary>
public sealed class GossipExperiment : IDisposable
{
    /// <summary>Stream id of the seed of the message-loss draws (<see cref="Transport"/>).</summary>
    public const ulong MessageLossStream = 0x1055;

    /// <summary>Stream id of the absence draws (<see cref="IsAway"/>).</summary>
    public const ulong AbsenceStream = 0xAB5E;

    private readonly Agent[] _agents;
    private readonly Dictionary<string, string> _metadata;
    private readonly string _tests;

    private GossipExperiment(GossipSetup setup, string dataRoot, string folder, Agent[] agents, DecentralizedRunner runner, IEnumerable<(string Name, ImageDataset Data)> tests)
    {
        DataRoot = dataRoot;
        _tests = string.Join(", ", tests.Select(t => $"{t.Name} ({t.Data.Count})"));
        Setup = setup;
        Folder = folder;
        _agents = agents;
        Runner = runner;
        var config = setup.Config;
        Scsp = new Scsp(runner, config.Epochs, config.Method == "scsp" ? config.ConsensusRounds : 0, config.ConsensusBn == "gossip",
            setup.CreateConsensusProtocol(agents[0].Layout));
        _metadata = new Dictionary<string, string> { ["config"] = config.ToJson() };
    }

    /// <summary>
    /// The simulation of <paramref name="config"/> (validated) on the data under <paramref name="dataRoot"/>, writing
    /// to <paramref name="folder"/> (created). Bad input raises a one-line <see cref="ArgumentException"/> naming the option.
    /// </summary>
    public static GossipExperiment Create(GossipConfig config, string dataRoot, string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var setup = GossipSetup.Load(config, dataRoot);
        var tests = ExperimentData.Tests(config.Dataset, dataRoot, config.TestFiles)
            .Select(t => config.TestLimit > 0 ? (t.Name, Data: t.Data.Subset(Enumerable.Range(0, Math.Min(config.TestLimit, t.Data.Count)).ToArray())) : t)
            .ToList();
        var agents = new List<Agent>();
        try
        {
            for (int i = 0; i < config.Agents; i++) agents.Add(setup.CreateAgent(i));
            var (mode, protocol) = setup.CreateMethod(agents[0].Layout);
            var ledger = new TrafficLedger();
            var runner = new DecentralizedRunner(agents, mode, protocol, tests, setup.Normalization, Transport(config, ledger), ledger, setup.Schedule)
            {
                SecondaryEvalEvery = config.EvalEvery,
                Away = config.Absence > 0 ? (t, i) => IsAway(config, t, i) : null,
            };
            Directory.CreateDirectory(folder);
            return new GossipExperiment(setup, dataRoot, folder, [.. agents], runner, tests);
        }
        catch
        {
            foreach (var a in agents) a.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The in-process transport that records in <paramref name="ledger"/>, behind a <see cref="DroppingTransport"/> when
    /// <paramref name="config"/> has a message loss: each message is lost with that probability, drawn per (phase,
    /// iteration, sender, receiver) from a seed of <see cref="MessageLossStream"/>, so the losses depend on neither the
    /// thread count nor the order of sending; and behind one that loses the training messages sent to an agent that is
    /// away (<see cref="IsAway"/>), whose senders keep their shares. Without either the plain transport, so such a run is
    /// the one before the options.
    /// </summary>
    public static ITransport Transport(GossipConfig config, TrafficLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(config);
        ITransport transport = new InProcessTransport(ledger);
        if (config.MessageLoss > 0)
        {
            var rng = new RngStream(config.Seed, MessageLossStream);
            transport = DroppingTransport.Random(transport, config.MessageLoss, ((ulong)rng.NextUInt32() << 32) | rng.NextUInt32());
        }
        if (config.Absence > 0) transport = new DroppingTransport(transport, m => m.Phase == MessagePhase.Training && IsAway(config, m.Round, m.Receiver));
        return transport;
    }

    /// <summary>
    /// Whether agent <paramref name="agent"/> is away at training iteration <paramref name="iteration"/>: the iterations
    /// are cut into windows of <see cref="GossipConfig.AbsenceIterations"/>, and the agent is away for a whole window
    /// with probability <see cref="GossipConfig.Absence"/>, drawn per (window, agent) from the seed's
    /// <see cref="AbsenceStream"/>; it rejoins at the next window it is drawn present in, with the state it left with.
    /// </summary>
    public static bool IsAway(GossipConfig config, long iteration, int agent)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Absence > 0 && agent >= 0
            && new RngStream(config.Seed, AbsenceStream).Split((ulong)(iteration / config.AbsenceIterations)).Split((ulong)agent).NextFloat() < config.Absence;
    }

    /// <summary>The data, partition, graph and schedule the agents come from.</summary>
    public GossipSetup Setup { get; }

    /// <summary>The configuration.</summary>
    public GossipConfig Config => Setup.Config;

    /// <summary>The run folder.</summary>
    public string Folder { get; }

    /// <summary>The data root the data was read from.</summary>
    public string DataRoot { get; }

    /// <summary>The run's checkpoint in <see cref="Folder"/>.</summary>
    public string CheckpointPath => Path.Combine(Folder, "checkpoint.safetensors");

    /// <summary>The runner of the n agents.</summary>
    public DecentralizedRunner Runner { get; }

    /// <summary>The sequencing of training epochs and SCSP's consensus phase.</summary>
    public Scsp Scsp { get; }

    /// <summary>One line: method, graph, model and its size, data per agent, iterations per epoch, test sets.</summary>
    public string Description
    {
        get
        {
            var sizes = Setup.Partition.Indices.Select(p => p.Length).ToArray();
            return $"{Config.Method} over {Config.GraphText}, {Config.Agents} agents of {Config.Model} ({_agents[0].Layout.Total:N0} parameters) on {Config.Dataset}: " +
                $"{sizes.Min()}-{sizes.Max()} images per agent, {Runner.IterationsPerEpoch} iterations/epoch, " +
                $"tests {_tests}";
        }
    }

    /// <summary>
    /// Loads the run folder's checkpoint (an <see cref="ArgumentException"/> when there is none, or when more epochs are
    /// asked of an SCSP run whose consensus phase has run: its checkpoint holds the models after that phase, and training
    /// on from them would not be the longer run).
    /// </summary>
    public void Resume()
    {
        if (!File.Exists(CheckpointPath)) throw new ArgumentException($"--resume: no checkpoint {CheckpointPath}");
        Runner.Load(CheckpointPath);
        if (!Scsp.TrainingDone && Runner.History.Any(m => m.Phase == DecentralizedPhase.Consensus))
            throw new ArgumentException($"--resume: --epochs {Config.Epochs} would train on after the consensus phase of the finished SCSP run in {Folder}; start a new run");
    }

    /// <summary>
    /// Writes config.json (the configuration that <see cref="GossipConfig.Read"/> reads back) and data.json (the data
    /// root, <see cref="ExperimentData.RecordedRoot"/>).
    /// </summary>
    public void WriteConfig()
    {
        AtomicFile.WriteAllText(Path.Combine(Folder, "config.json"), Config.ToJson() + "\n");
        ExperimentData.RecordRoot(Folder, DataRoot);
    }

    /// <summary>
    /// Runs the next training epoch and checkpoints it. A diverging run raises a <see cref="DivergenceException"/>
    /// naming the run folder and its last good state. With <paramref name="elsewhere"/> the epoch's iterations run
    /// elsewhere (a cluster's agent grains): it runs them, loads the agents' ending states into the runner's agents and
    /// returns the epoch's training bytes and mean training loss (<see cref="DecentralizedRunner.RecordEpoch"/>).
    /// </summary>
    public DecentralizedMetrics RunEpoch(Func<DecentralizedRunner, (long Bytes, double Loss)>? elsewhere = null) =>
        Checkpointed(() => elsewhere is null ? Scsp.RunEpoch() : Scsp.RecordEpoch(elsewhere(Runner)))!;

    /// <summary>
    /// SCSP's consensus phase once training is done (<see cref="Scsp.RunConsensusPhase"/>), then its checkpoint, so that
    /// resume, <c>--evaluate</c> and <c>eval --run</c> see the models the run ends with; null when there is nothing to run.
    /// </summary>
    public DecentralizedMetrics? RunConsensusPhase() => Checkpointed(Scsp.RunConsensusPhase);

    private DecentralizedMetrics? Checkpointed(Func<DecentralizedMetrics?> step)
    {
        try
        {
            var row = step();
            if (row is not null) Runner.Save(CheckpointPath, _metadata);
            return row;
        }
        catch (DivergenceException e)
        {
            throw new DivergenceException($"{Folder}: {e.Message}; {(File.Exists(CheckpointPath) ? $"the last good state is {CheckpointPath}" : "no checkpoint was written")}");
        }
    }

    /// <summary>Scores the current state (a loaded checkpoint) on every test set into evaluation.csv and returns the scores.</summary>
    public IReadOnlyList<TestSetAccuracy> Score()
    {
        var tests = Runner.EvaluateTests();
        var csv = new StringBuilder("epoch,test_set,averaged,mean,min,max\n");
        foreach (var t in tests)
            csv.Append(CultureInfo.InvariantCulture, $"{Runner.CompletedEpochs},{t.Name},{t.AveragedAccuracy:F5},{t.MeanAccuracy:F5},{t.MinAccuracy:F5},{t.MaxAccuracy:F5}\n");
        AtomicFile.WriteAllText(Path.Combine(Folder, "evaluation.csv"), csv.ToString());
        return tests;
    }

    /// <summary>Releases the agents' batch loaders.</summary>
    public void Dispose()
    {
        foreach (var a in _agents) a.Dispose();
    }
}
