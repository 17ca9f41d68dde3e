using NanoFed.Federation.Compression;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Experiments;

/// <summary>The --method switch of `nanofed gossip`: the communication mode and gossip protocol of each method.</summary>
public static class GossipMethods
{
    /// <summary>Every method name.</summary>
    public static readonly string[] Names = ["allreduce", "sgp", "dpsgd", "choco", "sparse-push", "scsp", "none"];

    /// <summary>The methods that compress their messages, and so have a compressor and a consensus step γ.</summary>
    public static readonly string[] Compressed = ["choco", "sparse-push", "scsp"];

    /// <summary>The push-sum methods, whose shares for a lost message or an absent agent stay with the sender.</summary>
    public static readonly string[] PushSum = ["sgp", "sparse-push", "scsp"];

    /// <summary>Throws an <see cref="ArgumentException"/> for an unknown method.</summary>
    public static void Check(string method)
    {
        if (!Names.Contains(method)) throw new ArgumentException($"--method: unknown method '{method}' (known: {string.Join(", ", Names)})");
    }

    /// <summary>
    /// The mode and protocol of <paramref name="config"/>'s method over <paramref name="topology"/>: sgp = dense
    /// <see cref="PushSum"/>; sparse-push and scsp = Sparse-Push of --form with --compressor (top-k through
    /// <see cref="SparsePush.Create"/>); dpsgd = <see cref="DPsgd"/> and choco = <see cref="Choco"/> with --compressor
    /// and --gamma, both on an undirected graph. The compressed methods apply γ by --consensus-step
    /// (<see cref="GossipConfig.ParseConsensusStep"/>, "lr" through <paramref name="lrScale"/> = lr(t) / lr). With
    /// --gossip-every H &gt; 1 the protocol is built over <see cref="PeriodicTopology"/>(topology, H, --gossip-burst) and runs only at its
    /// gossip rounds (<see cref="PeriodicGossip"/>); with one H per learning-rate phase, <paramref name="phaseStarts"/>
    /// are the phases' first iterations (null: the first phase's H throughout, as the consensus-step tuner simulates).
    /// </summary>
    public static (Communication Mode, IGossip? Protocol) Create(GossipConfig config, ITopology topology, TensorLayout layout, Func<long, double>? lrScale = null,
        IReadOnlyList<long>? phaseStarts = null)
    {
        Check(config.Method);
        if (config.IsPeriodic)
        {
            int phases = phaseStarts is null ? 1 : Math.Min(config.GossipEvery.Length, phaseStarts.Count);
            var periodic = new PeriodicTopology(topology, config.GossipEvery[..phases], phaseStarts?.Take(phases).ToArray() ?? [0], config.GossipBurst);
            var (mode, protocol) = Create(config with { GossipEvery = [1], GossipBurst = 1 }, periodic, layout, lrScale);
            return (mode, protocol is null ? null : new PeriodicGossip(protocol));
        }
        var step = GossipConfig.ParseConsensusStep(config.ConsensusStepRule, lrScale);
        return config.Method switch
        {
            "allreduce" => (Communication.AllReduce, null),
            "none" => (Communication.None, null),
            "sgp" => (Communication.Gossip, new PushSum(topology)),
            "dpsgd" => (Communication.Gossip, new DPsgd(topology)),
            "choco" => (Communication.Gossip, new Choco(topology, Compressor(config), config.GammaOrDefault, layout, config.Seed) { Pack = config.Pack, Step = step }),
            _ => (Communication.Gossip, SparsePushProtocol(config, topology, layout, step)),
        };
    }

    private static IGossip SparsePushProtocol(GossipConfig config, ITopology topology, TensorLayout layout, ConsensusStep step)
    {
        var form = config.Form == "A" ? SparsePushForm.ErrorFeedback : SparsePushForm.Differences;
        if (config.Compressor == "topk") return SparsePush.Create(topology, layout, config.Keep, form, config.GammaOrDefault, Coding(config), config.ValueBits, config.Pack, step);
        var compressor = Compressor(config);
        return form == SparsePushForm.ErrorFeedback
            ? new ErrorFeedbackGossip(topology, compressor, config.GammaOrDefault, layout, seed: config.Seed) { Pack = config.Pack, Step = step }
            : new DifferenceGossip(topology, compressor, config.GammaOrDefault, layout, seed: config.Seed) { Pack = config.Pack, Step = step };
    }

    /// <summary>The compressor of --compressor, --keep, --index-coding, --value-bits (top-k), --bits and --entropy-coding.</summary>
    public static ICompressor Compressor(GossipConfig config) => config.Compressor switch
    {
        "topk" => new TopKCompressor(config.Keep, Coding(config), config.ValueBits),
        "randomk" => new RandomKCompressor(config.Keep, Coding(config)),
        "quantize" => new QuantizeCompressor(config.Bits, coded: config.EntropyCoding),
        _ => SignCompressor.Instance,
    };

    private static IndexCoding Coding(GossipConfig config) => config.IndexCoding switch
    {
        "uint16" => IndexCoding.UInt16,
        "bitmap" => IndexCoding.Bitmap,
        "delta" => IndexCoding.EliasGammaDelta,
        _ => IndexCoding.Int32,
    };
}
