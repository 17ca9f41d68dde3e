using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;

namespace NanoFed.Tests;

/// <summary>A method's two roles as the tests build them: its server strategy and the factory of its clients.</summary>
internal sealed record FlMethod(IFlStrategy Strategy, Func<FlClientData, IFlClient> Clients);

/// <summary>What the federated tests share: a runner over an in-process transport the test owns, with the server's handler registered.</summary>
internal static class FlTesting
{
    public static FlRunner Runner(FlMethod method, ImageDataset train, Partition partition, IReadOnlyList<(string Name, ImageDataset Data)> tests,
        Normalization normalization, int perRound, ulong seed, NanoFed.Federation.Systems.SystemModel? system = null)
    {
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        if (method.Strategy is IMessageHandler handler) transport.Register(Message.Server, handler);
        return new FlRunner(method.Strategy, new ClientPopulation(train, partition, normalization, method.Clients), tests, perRound, seed, transport, ledger, system);
    }
}
