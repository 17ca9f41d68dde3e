namespace NanoFed.Bench;

/// <summary>How this invocation runs its PyTorch peers: the shared peer script and the OpenBLAS kernel every peer process uses.</summary>
/// <param name="TorchPeer">The shared peer script (shared/peers/torch_peer.py), or null when none was found.</param>
/// <param name="Kernel">The kernel from <see cref="PeerKernel.Detect"/>, or null when the check could not run (then OpenBLAS picks).</param>
internal sealed record PeerSetup(string? TorchPeer, PeerKernel? Kernel)
{
    /// <summary>Runs bench/<paramref name="script"/> (found as <see cref="Peer.FindBenchScript"/> finds it) on the kernel; logs the command line.</summary>
    public Peer RunBenchScript(string script, IReadOnlyList<string> arguments, TextWriter log)
    {
        string? path = Peer.FindBenchScript(script);
        log.WriteLine($"peer: /usr/bin/python3 {path ?? $"bench/{script} (not found)"} {string.Join(' ', arguments)}");
        return Peer.Run(path, Kernel, arguments);
    }

    /// <summary>The shared peer on <paramref name="arguments"/>, or a peer that says it was not found.</summary>
    public Peer RunShared(IReadOnlyList<string> arguments, TextWriter log)
    {
        log.WriteLine($"peer: /usr/bin/python3 {TorchPeer ?? "(not found)"} {string.Join(' ', arguments)}");
        return TorchPeer is null ? Peer.Unavailable("no shared/peers/torch_peer.py above the current directory") : Peer.Run(TorchPeer, Kernel, arguments);
    }
}
