namespace NanoFed.Bench;

/// <summary>
/// How this invocation runs its PyTorch peers: the shared peer script, the OpenBLAS kernel every peer process uses, and
/// the most threads it may use. PyTorch's <c>set_num_threads</c> does not bound Debian's pthread OpenBLAS, whose SGEMM
/// ran on both cores of a 2-core host in a "1-thread" peer (111-162 GFLOP/s against a 1-thread FMA peak of 90), so
/// every peer process also gets OPENBLAS_NUM_THREADS and OMP_NUM_THREADS.
/// </summary>
/// <param name="TorchPeer">The shared peer script (shared/peers/torch_peer.py), or null when none was found.</param>
/// <param name="Kernel">The kernel from <see cref="PeerKernel.Detect"/>, or null when the check could not run (then OpenBLAS picks).</param>
/// <param name="Threads">The invocation's thread count: the most any peer process runs.</param>
internal sealed record PeerSetup(string? TorchPeer, PeerKernel? Kernel, int Threads)
{
    /// <summary>The environment of every peer process: the kernel's variables and the thread bound.</summary>
    public IReadOnlyDictionary<string, string?> Environment
    {
        get
        {
            var environment = new Dictionary<string, string?>(Kernel?.Environment ?? PeerKernel.DefaultEnvironment);
            string threads = Threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment["OPENBLAS_NUM_THREADS"] = threads;
            environment["OMP_NUM_THREADS"] = threads;
            return environment;
        }
    }

    /// <summary>Runs bench/<paramref name="script"/> (found as <see cref="Peer.FindBenchScript"/> finds it) on the kernel; logs the command line.</summary>
    public Peer RunBenchScript(string script, IReadOnlyList<string> arguments, TextWriter log)
    {
        string? path = Peer.FindBenchScript(script);
        log.WriteLine($"peer: /usr/bin/python3 {path ?? $"bench/{script} (not found)"} {string.Join(' ', arguments)}");
        return Peer.Run(path, Environment, arguments);
    }

    /// <summary>The shared peer on <paramref name="arguments"/>, or a peer that says it was not found.</summary>
    public Peer RunShared(IReadOnlyList<string> arguments, TextWriter log)
    {
        log.WriteLine($"peer: /usr/bin/python3 {TorchPeer ?? "(not found)"} {string.Join(' ', arguments)}");
        return TorchPeer is null ? Peer.Unavailable("no shared/peers/torch_peer.py above the current directory") : Peer.Run(TorchPeer, Environment, arguments);
    }
}
