using System.Net;

namespace NanoFed.Cluster;

/// <summary>
/// Where a silo listens and how the rest of the cluster reaches it: its silo-to-silo port, the gateway port runs
/// connect to, and either the silo port of the cluster's first silo on this machine (<see cref="PrimaryPort"/>, local
/// development clustering) or the address the other machines reach it at (<see cref="Advertise"/>, with a
/// <see cref="RedisMembership"/>).
/// </summary>
/// <param name="SiloPort">Silo-to-silo port.</param>
/// <param name="GatewayPort">Port where runs connect.</param>
public sealed record SiloEndpoints(int SiloPort, int GatewayPort)
{
    /// <summary>Local clustering: the silo port of the cluster's first silo on this machine; null: this silo is the first.</summary>
    public int? PrimaryPort { get; init; }

    /// <summary>
    /// Redis membership: the address this silo registers and listens on, which the other silos and the runs must reach;
    /// null: the address of this machine's host name.
    /// </summary>
    public IPAddress? Advertise { get; init; }
}
