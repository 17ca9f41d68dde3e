namespace NanoFed.Federation.Fl;

/// <summary>
/// A client whose own state lasts from one of its turns to the next (FedGKT's server logits), so that a host that does
/// not keep the client object between turns (a cluster grain, which deactivates when idle) can save the state after a
/// turn and give it back to the client it builds for the next. Clients without such state (FedAvg, SplitFed,
/// local-loss, EcoFed) do not implement it: they are built afresh for every turn with no loss.
/// </summary>
public interface IKeepsState
{
    /// <summary>The state to keep until the client's next turn, as bytes; null when it has none yet.</summary>
    byte[]? SaveKept();

    /// <summary>Takes back the state <see cref="SaveKept"/> returned (on a machine of the same byte order).</summary>
    void RestoreKept(byte[] kept);
}
