using NanoFed.Bench;
using Xunit;

namespace NanoFed.Tests.Bench;

/// <summary>The peer's output lines, as the three PyTorch scripts print them, become figures by case name.</summary>
public class PeerTests
{
    [Fact]
    public void ParseKeysEachFigureByTheNameBeforeTheColon()
    {
        var peer = new Peer();
        peer.Parse("""
            torch 1.13.1 threads=2
            sgemm n=512: 410.5 GFLOP/s
            conv3x3 bwd_data C=16 K=16 HW=32 s=1 N=128: 120.0 GFLOP/s (9.10 ms)
            resnet20 train step bs=128: 146 ms  -> 877 img/s, epoch(50k) ~57 s
            resnet20 train step bs=32 threads=1: 55.3 ms
            resnet20 peak rss bs=128: 535.5 MB
            """);
        Assert.Equal(410.5, peer.Gflops["sgemm n=512"]);
        Assert.Equal(120.0, peer.Gflops["conv3x3 bwd_data C=16 K=16 HW=32 s=1 N=128"]);
        Assert.Equal(146, peer.Milliseconds["resnet20 train step bs=128"]);
        Assert.Equal(55.3, peer.Milliseconds["resnet20 train step bs=32 threads=1"]);
        Assert.Equal(535.5, peer.Megabytes["resnet20 peak rss bs=128"]);
        Assert.Equal(2, peer.Gflops.Count);
        Assert.Equal(2, peer.Milliseconds.Count);
        Assert.Equal(4, peer.Lines.Count);
        Assert.Null(peer.Failure);
    }
}
