using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Local-loss DNN-partitioned FL (specs/ecofed.md method 3; Han et al. 2021, "Accelerating Federated Learning with
/// Split Learning on Locally Generated Losses"; the EcoFed paper's baseline, arXiv 2304.05495), server side; the device
/// is <see cref="LocalLossClient"/>. The device trains its front with an auxiliary head (flatten + one linear layer
/// from the cut to the classes) on its own cross-entropy, so it never waits for the server: each batch's activations
/// at the cut go up in fp32 with their labels, and this handler trains the client's copy of the back (one per client,
/// starting from the global back) on them with the same SGD settings and answers with an empty acknowledgement
/// (Control phase). Front and head go down at round start and up at turn end; the server averages fronts, heads and
/// back copies by sample count. The server's training is counted on the client's critical path
/// (<see cref="RoundAggregate.TurnFlops"/>): it must finish before aggregation, and overlapping it with the device is
/// an optimisation this clock does not credit.
/// </summary>
public sealed class LocalLoss : IFlStrategy, IMessageHandler, IRedoableTurns
{
    private readonly SplitServer _server;
    private readonly Tape _tape = new();

    /// <summary>Creates local-loss DPFL's server.</summary>
    /// <param name="createModel">Builds the architecture (the global model, and each server copy of the back).</param>
    /// <param name="splitIndex">Layers [0, splitIndex) run on the device.</param>
    /// <param name="inputShape">One input image (C, H, W), for the cut shape and FLOP counting.</param>
    /// <param name="classes">Classes of the auxiliary head.</param>
    /// <param name="seed">Seed of the head's initialisation.</param>
    /// <param name="options">Local-training options (device and server).</param>
    public LocalLoss(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, int classes, ulong seed, FedAvgOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        Options = options ?? new FedAvgOptions();
        Options.Validate();
        _server = new SplitServer(createModel, splitIndex, inputShape, classes, seed);
    }

    /// <inheritdoc/>
    public string Name => "localloss";

    /// <summary>The local-training options.</summary>
    public FedAvgOptions Options { get; }

    /// <inheritdoc/>
    public Module GlobalModel => _server.Global;

    /// <summary>The global auxiliary head (averaged each round; not part of <see cref="GlobalModel"/>).</summary>
    public Module Head => _server.GlobalHead!;

    /// <summary>The global model and the global head.</summary>
    public IEnumerable<SafeTensor> SaveState() => _server.SaveState();

    /// <inheritdoc/>
    public void LoadState(IReadOnlyDictionary<string, SafeTensor> state) => _server.LoadState(state);

    /// <inheritdoc/>
    public IReadOnlyList<Message> ConfigureRound(FlRound round) => _server.Configure(round, Options.ToInstructions(round.Round));

    /// <summary>A batch of activations from a client: one step of its server copy; the reply is an acknowledgement.</summary>
    public Message Handle(Message request)
    {
        var (a, labels) = SplitModel.ReadActivations(request);
        SplitServer.Step(_tape, _server.Copy(request, Options.InRound(request.Round)), a, labels, inputGradient: false);
        return SplitModel.Acknowledgement(request);
    }

    /// <inheritdoc/>
    public void ForgetTurn(int client) => _server.Forget(client);

    /// <inheritdoc/>
    public RoundAggregate Aggregate(int round, IReadOnlyList<Message> replies, IReadOnlyList<ClientFailure> failures) =>
        _server.Aggregate(round, replies, n => FlopCounter.TrainingFactor * _server.BackFlops * (n * Options.E));
}
