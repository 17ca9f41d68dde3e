using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Fl;

/// <summary>
/// The turn every split-learning device takes (SplitFed, local-loss, FedGKT): take the inbox, start from the round
/// context, load the parts it receives, train if it holds data, reply with its parts and n_k. A method's device says
/// only how it trains and what that costs.
/// </summary>
public abstract class SplitDeviceClient : IFlClient
{
    /// <summary>A device holding <paramref name="data"/> and working on <paramref name="device"/>'s parts.</summary>
    private protected SplitDeviceClient(FlClientData data, SplitDevice device)
    {
        Data = data ?? throw new ArgumentNullException(nameof(data));
        Device = device ?? throw new ArgumentNullException(nameof(device));
    }

    /// <summary>This device's own data.</summary>
    protected FlClientData Data { get; }

    /// <summary>The device's front (and head, where the method has one), with its tape.</summary>
    private protected SplitDevice Device { get; }

    /// <inheritdoc/>
    public int Id => Data.Id;

    /// <inheritdoc/>
    public double Work(ITransport transport)
    {
        var inbox = RoundContext.Inbox(transport, Id);
        if (RoundContext.Find(Id, inbox) is not { } context) return 0;
        var options = FedAvgOptions.From(context);
        Device.Receive(context, inbox);
        int n = Data.Data.Count;
        if (n > 0) Train(transport, context, options);
        transport.Send(Device.Reply(context.Round, Id, n));
        return Flops(options, n);
    }

    /// <summary>The round's local training on a non-empty <see cref="Data"/>, with its calls to the server.</summary>
    protected abstract void Train(ITransport transport, RoundContext context, FedAvgOptions options);

    /// <summary>The FLOPs the device computed in a turn over <paramref name="n"/> samples (the simulated clock's share).</summary>
    protected abstract double Flops(FedAvgOptions options, int n);
}
