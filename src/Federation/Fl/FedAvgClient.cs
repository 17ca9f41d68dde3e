using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A <see cref="FedAvg"/> client (McMahan et al. 2017, arXiv 1602.05629, Algorithm 1, ClientUpdate): it loads the
/// global weights it receives, runs E epochs of mini-batch SGD (batch B, rate η, momentum; optimizer state reset each
/// round) on its n_k samples, shuffled from the stream its round context keys, and replies with its weights and n_k.
/// A client with no samples replies with the weights unchanged and n_k = 0 (weight zero in the average).
/// </summary>
public sealed class FedAvgClient : IFlClient
{
    private readonly FlClientData _data;
    private readonly Sequential _model;
    private readonly Tape _tape;
    private readonly long _forwardFlops;

    /// <summary>A client on <paramref name="data"/> training in <paramref name="model"/> with <paramref name="tape"/>.</summary>
    /// <param name="data">The client's samples.</param>
    /// <param name="model">The working model; its whole state is overwritten by the weights received at each turn.</param>
    /// <param name="tape">The tape of the client's training.</param>
    public FedAvgClient(FlClientData data, Sequential model, Tape tape)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tape = tape ?? throw new ArgumentNullException(nameof(tape));
        _forwardFlops = FlopCounter.Forward(model, data.InputShape);
    }

    /// <summary>
    /// Clients for <see cref="FlRunner"/>. The clients one factory makes share one working model and tape: they take
    /// turns in one process, and each turn overwrites the model's whole state from the weights it receives, so a
    /// simulation holds one model rather than one per client.
    /// </summary>
    public static Func<FlClientData, IFlClient> Factory(Func<Sequential> createModel)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        Sequential? model = null;
        var tape = new Tape();
        return data => new FedAvgClient(data, model ??= createModel(), tape);
    }

    /// <inheritdoc/>
    public int Id => _data.Id;

    /// <inheritdoc/>
    public double Work(ITransport transport)
    {
        var inbox = RoundContext.Inbox(transport, Id);
        if (RoundContext.Find(Id, inbox) is not { } context) return 0;
        var options = FedAvgOptions.From(context);
        var state = _model.StateDict();
        ModelExchange.Receive(context.Round, Id, inbox, state);
        _model.Train();
        _model.KeyDropout(context.DropoutKey());
        int n = _data.Data.Count;
        if (n > 0) Train(options, context.Rng());
        transport.Send(ModelExchange.Reply(context.Round, Id, state, n));
        return FlopCounter.TrainingFactor * _forwardFlops * n * options.E;
    }

    private void Train(FedAvgOptions options, RngStream rng)
    {
        var sgd = LocalTraining.Sgd(_model.Parameters(), options);
        using var loader = LocalTraining.Loader(_data, rng, options.B);
        for (int epoch = 0; epoch < options.E; epoch++)
        {
            foreach (var batch in loader.Epoch(epoch)) SupervisedStep.Run(_tape, _model, sgd, batch.Images, batch.Labels);
        }
    }
}
