using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace NanoFed.Deploy;

/// <summary>The outcome of checking a caller's credentials against a <see cref="TokenStore"/>.</summary>
public enum TokenVerdict
{
    /// <summary>The client is known, not revoked, and presented its token.</summary>
    Accepted,

    /// <summary>No client id or no token was presented, or the client id is not a number.</summary>
    Missing,

    /// <summary>The client id is not in the tokens file (never issued, or removed: revoked by deletion).</summary>
    Unknown,

    /// <summary>The token does not match the one issued to the client.</summary>
    Wrong,

    /// <summary>The client's entry is marked revoked.</summary>
    Revoked,
}

/// <summary>A verdict and its one-line reason (for the log and the refused caller).</summary>
public readonly record struct TokenCheck(TokenVerdict Verdict, string Reason);

/// <summary>
/// The tokens an operator issued: a text file, one client per line, <c>NODE TOKEN</c> or <c>NODE TOKEN revoked</c>,
/// where NODE is the client's node id (devices and peers 0..n−1, the server −1) and TOKEN at least
/// <see cref="MinTokenLength"/> printable characters without spaces; blank lines and lines starting with '#' are
/// ignored. Revoking is removing the line or marking it <c>revoked</c>: the file is read again whenever its
/// modification time or length changes, so a revocation takes effect at the next call without a restart. A file
/// that has become unreadable or malformed refuses everyone until it is fixed (fail closed). Tokens are compared in
/// constant time. Thread-safe.
/// </summary>
public sealed class TokenStore
{
    /// <summary>The shortest token accepted in a tokens file.</summary>
    public const int MinTokenLength = 16;

    private readonly Lock _lock = new();
    private Dictionary<int, (byte[] Token, bool Revoked)> _entries = [];
    private (DateTime Time, long Length) _stamp;
    private string? _error;

    private TokenStore(string path) => Path = path;

    /// <summary>The tokens file.</summary>
    public string Path { get; }

    /// <summary>Reads the tokens file at <paramref name="path"/>; throws <see cref="FormatException"/> or <see cref="IOException"/> with one line naming the file.</summary>
    public static TokenStore Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var store = new TokenStore(System.IO.Path.GetFullPath(path));
        store._stamp = Stamp(store.Path);
        store._entries = Parse(store.Path);
        return store;
    }

    /// <summary>A new random token (256 bits, base64url) for an operator to issue.</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// The token issued to <paramref name="node"/>, which that node presents on its own calls (a device's tokens file
    /// holds its own line and the server's); throws <see cref="FormatException"/> naming the file when it has none or it is revoked.
    /// </summary>
    public string TokenOf(int node)
    {
        lock (_lock)
        {
            Refresh();
            if (_error != null) throw new FormatException(_error);
            return _entries.TryGetValue(node, out var entry) && !entry.Revoked ? Encoding.UTF8.GetString(entry.Token)
                : throw new FormatException($"{Path}: no valid token for node {node}");
        }
    }

    /// <summary>
    /// Whether <paramref name="node"/> holds a token this file accepts (its line is present and not revoked, and the
    /// file is usable): a node it does not admit can make no call, so a server need not wait for it to join.
    /// </summary>
    public bool Admits(int node)
    {
        lock (_lock)
        {
            Refresh();
            return _error == null && _entries.TryGetValue(node, out var entry) && !entry.Revoked;
        }
    }

    /// <summary>Checks the credentials a caller presented: its client id (a node id, as text) and its token.</summary>
    public TokenCheck Check(string? client, string? token)
    {
        if (string.IsNullOrEmpty(client) || string.IsNullOrEmpty(token)) return new(TokenVerdict.Missing, "no client id or no token presented");
        if (!int.TryParse(client, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id))
            return new(TokenVerdict.Missing, "client id is not a node id");
        lock (_lock)
        {
            Refresh();
            if (_error != null) return new(TokenVerdict.Unknown, _error);
            if (!_entries.TryGetValue(id, out var entry)) return new(TokenVerdict.Unknown, $"client {id} is not in the tokens file");
            if (!CryptographicOperations.FixedTimeEquals(entry.Token, Encoding.UTF8.GetBytes(token)))
                return new(TokenVerdict.Wrong, $"wrong token for client {id}");
            return entry.Revoked ? new(TokenVerdict.Revoked, $"client {id} is revoked") : new(TokenVerdict.Accepted, "");
        }
    }

    private void Refresh()
    {
        try
        {
            var stamp = Stamp(Path);
            if (stamp == _stamp && _error == null) return;
            _stamp = stamp;
            _entries = Parse(Path);
            _error = null;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            _entries = [];
            _error = $"tokens file unusable, refusing everyone: {e.Message}";
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: tokens file not found");
        return (info.LastWriteTimeUtc, info.Length);
    }

    private static Dictionary<int, (byte[], bool)> Parse(string path)
    {
        var entries = new Dictionary<int, (byte[], bool)>();
        var lines = File.ReadAllLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            string where = $"{path}:{i + 1}";
            if (fields.Length is < 2 or > 3 || (fields.Length == 3 && fields[2] != "revoked"))
                throw new FormatException($"{where}: expected 'NODE TOKEN' or 'NODE TOKEN revoked'");
            if (!int.TryParse(fields[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id))
                throw new FormatException($"{where}: node id '{fields[0]}' is not an integer");
            if (fields[1].Length < MinTokenLength)
                throw new FormatException($"{where}: token of client {id} is shorter than {MinTokenLength} characters");
            if (!entries.TryAdd(id, (Encoding.UTF8.GetBytes(fields[1]), fields.Length == 3)))
                throw new FormatException($"{where}: client {id} appears twice");
        }
        return entries;
    }
}
