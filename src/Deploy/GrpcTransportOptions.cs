using System.Security.Cryptography.X509Certificates;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy;

/// <summary>Everything one node of a deployment needs to listen, to call its peers and to check what it receives.</summary>
public sealed class GrpcTransportOptions
{
    /// <summary>This node's id: a client or peer 0..n−1, or <see cref="Message.Server"/>.</summary>
    public required int NodeId { get; init; }

    /// <summary>Where to listen, an https URL such as <c>https://0.0.0.0:5001</c>; port 0 picks a free port (see <see cref="GrpcTransport.ListenUrl"/>).</summary>
    public required string ListenUrl { get; init; }

    /// <summary>This node's TLS certificate with its private key (<see cref="TlsCertificates"/>).</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>The certificates this node's outgoing calls trust: a CA, or its peers' self-signed certificates.</summary>
    public required X509Certificate2Collection TrustedCertificates { get; init; }

    /// <summary>The token the operator issued to this node, presented on every outgoing call.</summary>
    public required string Token { get; init; }

    /// <summary>The tokens of the nodes allowed to call this one.</summary>
    public required TokenStore Tokens { get; init; }

    /// <summary>What this node accepts: every received message and every reply is checked against it before use.</summary>
    public required MessageSchema Schema { get; init; }

    /// <summary>The address book: node id → https URL of its listener. More can be added with <see cref="GrpcTransport.SetPeer"/>.</summary>
    public IReadOnlyDictionary<int, string> Peers { get; init; } = new Dictionary<int, string>();

    /// <summary>The deadline of every call (connecting, sending, the receiver's work, the reply).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The size of the chunks a message is cut into, 1 to <see cref="GrpcFraming.MaxChunkBytes"/>.</summary>
    public int ChunkBytes { get; init; } = GrpcFraming.DefaultChunkBytes;

    /// <summary>Throws <see cref="ArgumentException"/> with one line naming the first invalid option.</summary>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Certificate, nameof(Certificate));
        ArgumentNullException.ThrowIfNull(TrustedCertificates, nameof(TrustedCertificates));
        ArgumentNullException.ThrowIfNull(Tokens, nameof(Tokens));
        ArgumentNullException.ThrowIfNull(Schema, nameof(Schema));
        ArgumentNullException.ThrowIfNull(Peers, nameof(Peers));
        if (!Certificate.HasPrivateKey) throw new ArgumentException("Certificate: has no private key", nameof(Certificate));
        if (TrustedCertificates.Count == 0) throw new ArgumentException("TrustedCertificates: no certificate to trust", nameof(TrustedCertificates));
        if (string.IsNullOrEmpty(Token)) throw new ArgumentException("Token: empty", nameof(Token));
        if (Deadline <= TimeSpan.Zero) throw new ArgumentException($"Deadline: {Deadline} is not positive", nameof(Deadline));
        if (ChunkBytes is < 1 or > GrpcFraming.MaxChunkBytes)
            throw new ArgumentException($"ChunkBytes: {ChunkBytes} outside 1..{GrpcFraming.MaxChunkBytes}", nameof(ChunkBytes));
        ParseHttps(ListenUrl, nameof(ListenUrl));
        foreach (var (node, url) in Peers) ParseHttps(url, $"Peers[{node}]");
    }

    /// <summary>An absolute https URL, or an <see cref="ArgumentException"/> naming <paramref name="option"/>.</summary>
    internal static Uri ParseHttps(string? url, string option)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.AbsolutePath != "/")
            throw new ArgumentException($"{option}: '{url}' is not an https URL of the form https://HOST:PORT", option);
        return uri;
    }
}
