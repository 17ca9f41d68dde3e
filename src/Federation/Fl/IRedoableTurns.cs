namespace NanoFed.Federation.Fl;

/// <summary>
/// A strategy whose server-side work inside a client's turn (split learning's per-batch steps on the client's copy of
/// the back, FedGKT's collected features and trained copy) can be undone, so that a turn lost midway (its host died
/// after some of its calls) can run again from its start and give the uninterrupted turn's result. SplitFed,
/// local-loss and FedGKT implement it (a host that keeps FedGKT's client state must also give the redo the state the
/// lost turn started from).
/// </summary>
public interface IRedoableTurns
{
    /// <summary>Forgets what the server did in <paramref name="client"/>'s turn of the current round; its next call starts the turn afresh.</summary>
    void ForgetTurn(int client);
}
