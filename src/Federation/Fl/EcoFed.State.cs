using System.Globalization;
using System.Runtime.InteropServices;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;

namespace NanoFed.Federation.Fl;

public sealed partial class EcoFed
{
    private const string ReplayPrefix = "replay.";

    /// <summary>
    /// The global model ("model.") and the replay buffer, oldest entry first: entry i's activation batches as the
    /// WireFormat bytes of one message from its client ("replay.i.activations", encoding kept, so a restored entry
    /// decodes to the same values) and its labels ("replay.i.labels").
    /// </summary>
    public IEnumerable<SafeTensor> SaveState()
    {
        var entries = new List<SafeTensor>(StrategyState.Save("model.", GlobalModel));
        int i = 0;
        foreach (int client in Buffer.Clients)
        {
            var entry = Buffer[client];
            var bytes = WireFormat.Serialize(new Message(0, client, Message.Server, MessageKind.Activations, entry.Batches));
            entries.Add(new SafeTensor(Entry(i, "activations"), SafeTensorDType.U8, [bytes.Length], bytes));
            entries.Add(SafeTensor.FromInt32(Entry(i, "labels"), entry.Labels.ToArray(), entry.Count));
            i++;
        }
        return entries;
    }

    /// <summary>Restores what <see cref="SaveState"/> saved into a strategy whose buffer is still empty.</summary>
    public void LoadState(IReadOnlyDictionary<string, SafeTensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (Buffer.Count != 0) throw new InvalidOperationException("the replay buffer is restored into an empty buffer only");
        StrategyState.Load("model.", GlobalModel, state);
        for (int i = 0; state.TryGetValue(Entry(i, "activations"), out var activations); i++)
        {
            if (!state.TryGetValue(Entry(i, "labels"), out var labels) || labels.DType != SafeTensorDType.I32)
                throw new ArgumentException($"checkpoint entry {Entry(i, "labels")} is missing or not int32", nameof(state));
            var message = WireFormat.Deserialize(activations.Data);
            Buffer.Put(new ReplayEntry(message.Sender, message.Payload, MemoryMarshal.Cast<byte, int>(labels.Data).ToArray()));
        }
    }

    private static string Entry(int i, string what) => string.Create(CultureInfo.InvariantCulture, $"{ReplayPrefix}{i}.{what}");
}
