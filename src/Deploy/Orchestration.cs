using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy;

/// <summary>
/// The messages that drive the processes of a federated run (<see cref="GrpcTransport.Orchestrate"/>, outside the
/// traffic ledger): a device's join (its listener's URL and the SHA-256 of its run configuration), the server's
/// "work now" for a round, the device's reply when its turn is done (its FLOPs, the ledger entries of the messages
/// it sent in the turn and their gRPC framing bytes, so that the server's ledger is the simulation's), and stop.
/// Each is a Control-phase Control message whose payload names say what it is.
/// </summary>
public static class Orchestration
{
    /// <summary>Payload name of the join's listener URL.</summary>
    public const string Url = "url";

    /// <summary>Payload name of the join's configuration hash.</summary>
    public const string ConfigHash = "config-sha256";

    /// <summary>Payload name of the work order.</summary>
    public const string Work = "work";

    /// <summary>Payload name of the FLOPs in a work reply.</summary>
    public const string Flops = "flops";

    /// <summary>Payload name of the ledger rows in a work reply.</summary>
    public const string Ledger = "ledger";

    /// <summary>Payload name of the framing bytes in a work reply.</summary>
    public const string Framing = "framing";

    /// <summary>Payload name of the stop order.</summary>
    public const string Stop = "stop";

    /// <summary>Every payload name above, for the schema.</summary>
    public static readonly string[] Fields = [Url, ConfigHash, Work, Flops, Ledger, Framing, Stop];

    /// <summary>A message of <paramref name="round"/> from <paramref name="sender"/> to <paramref name="receiver"/> with <paramref name="fields"/>.</summary>
    public static Message Of(int round, int sender, int receiver, params (string Name, byte[] Value)[] fields) =>
        new(round, sender, receiver, MessageKind.Control, fields.Select(f => WireTensor.Raw(f.Name, f.Value)).ToList(), MessagePhase.Control);

    /// <summary>UTF-8 bytes of <paramref name="text"/>.</summary>
    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The SHA-256 of a configuration's JSON.</summary>
    public static byte[] Hash(string configJson) => SHA256.HashData(Encoding.UTF8.GetBytes(configJson));

    /// <summary>The text of field <paramref name="name"/> of <paramref name="message"/>.</summary>
    public static string TextOf(Message message, string name) => Encoding.UTF8.GetString(message[name].Data);

    /// <summary>A double's 8 little-endian bytes.</summary>
    public static byte[] Double(double value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>The double of field <paramref name="name"/>.</summary>
    public static double DoubleOf(Message message, string name) =>
        message[name].Data is { Length: 8 } b ? BinaryPrimitives.ReadDoubleLittleEndian(b) : throw new FormatException($"{name} is not an 8-byte double");

    /// <summary>The ledger entries in field <see cref="Ledger"/> (<see cref="LedgerRows"/>).</summary>
    public static List<LedgerEntry> EntriesOf(Message message) => LedgerRows.FromBytes(message[Ledger].Data);
}
