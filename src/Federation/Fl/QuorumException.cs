namespace NanoFed.Federation.Fl;

/// <summary>
/// A round in which fewer sampled clients answered than the run's quorum: the round is not aggregated and the run
/// stops; the message is one line naming the round, the count, the quorum and every failed client's reason.
/// </summary>
public sealed class QuorumException(string message, Exception? inner = null) : Exception(message, inner);
