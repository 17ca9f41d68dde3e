using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Vanilla DNN-partitioned FL, SplitFed (specs/ecofed.md method 2; Thapa et al. 2022, "SplitFed: When Federated
/// Learning Meets Split Learning", arXiv 2004.12088, SplitFedV1), server side; the device is <see cref="SplitFedClient"/>.
/// The device holds the front, the server one copy of the back per client (each starting from the global back at
/// round start). Per batch, inside the client's turn, the device calls the server with its activations (fp32) and
/// labels; this handler runs the forward, backward and SGD step of the client's copy and answers with the gradient of
/// the activations (fp32). Device and server use the same options. With fp32 on the wire the gradient path through
/// the cut is exact, so one client's step equals centralized training of front + back on that batch. At turn end the
/// front goes up with n_k; the server averages fronts and back copies by sample count. The server's per-batch work
/// lies on the client's critical path (<see cref="RoundAggregate.TurnFlops"/>).
/// </summary>
public sealed class SplitFed : IFlStrategy, IMessageHandler, IRedoableTurns
{
    /// <summary>Name of the gradient of the activations in the server's per-batch reply.</summary>
    public const string GradientName = "activations.grad";

    private readonly SplitServer _server;
    private readonly Tape _tape = new();

    /// <summary>Creates SplitFed's server.</summary>
    /// <param name="createModel">Builds the architecture (the global model, and each server copy of the back).</param>
    /// <param name="splitIndex">Layers [0, splitIndex) run on the device.</param>
    /// <param name="inputShape">One input image (C, H, W), for the cut shape and FLOP counting.</param>
    /// <param name="options">Local-training options (device and server).</param>
    public SplitFed(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, FedAvgOptions? options = null)
    {
        Options = options ?? new FedAvgOptions();
        Options.Validate();
        _server = new SplitServer(createModel, splitIndex, inputShape);
    }

    /// <inheritdoc/>
    public string Name => "splitfed";

    /// <summary>The local-training options.</summary>
    public FedAvgOptions Options { get; }

    /// <inheritdoc/>
    public Module GlobalModel => _server.Global;

    /// <inheritdoc/>
    public IReadOnlyList<Message> ConfigureRound(FlRound round) => _server.Configure(round, Options.ToInstructions(round.Round));

    /// <summary>A batch of activations from a client: one step of its server copy; the reply carries the gradient of the activations.</summary>
    public Message Handle(Message request)
    {
        var (a, labels) = SplitModel.ReadActivations(request);
        var dA = SplitServer.Step(_tape, _server.Copy(request, Options.InRound(request.Round)), a, labels, inputGradient: true)!;
        return new Message(request.Round, Message.Server, request.Sender, MessageKind.Gradients, [WireTensor.Dense(GradientName, dA.Shape, dA.Span)]);
    }

    /// <inheritdoc/>
    public void ForgetTurn(int client) => _server.Forget(client);

    /// <inheritdoc/>
    public RoundAggregate Aggregate(int round, IReadOnlyList<Message> replies, IReadOnlyList<ClientFailure> failures) =>
        _server.Aggregate(round, replies, n => FlopCounter.TrainingFactor * _server.BackFlops * (n * Options.E));
}
