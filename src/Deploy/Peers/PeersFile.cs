using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NanoFed.Deploy.Peers;

/// <summary>
/// PEERS.json, the address book of a gossip deployment: one JSON object mapping every peer id 0..n−1 (as a string)
/// to the https URL of its listener, for example <c>{ "0": "https://10.0.0.1:5100", "1": "https://10.0.0.2:5100" }</c>.
/// Every peer process reads the same file.
/// </summary>
public static class PeersFile
{
    // A peer named twice is malformed input: left to JsonObject, a repeated key surfaces as an ArgumentException on first use.
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    /// <summary>The address book in <paramref name="path"/> for <paramref name="peers"/> peers; a one-line <see cref="FormatException"/> naming the file otherwise.</summary>
    public static IReadOnlyDictionary<int, string> Read(string path, int peers)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: peers file not found", path);
        JsonObject file;
        try { file = JsonNode.Parse(File.ReadAllText(path), documentOptions: Strict) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new FormatException($"{path}: malformed peers file ({e.Message.ReplaceLineEndings(" ")})", e); }
        var book = new Dictionary<int, string>();
        foreach (var (key, value) in file)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= peers)
                throw new FormatException($"{path}: key '{key}' is not a peer id 0..{peers - 1}");
            string url = value is JsonValue v && v.TryGetValue(out string? s) ? s : throw new FormatException($"{path}: peer {id}'s address is not a string");
            try { GrpcTransportOptions.ParseHttps(url, $"{path}: peer {id}"); }
            catch (ArgumentException e) { throw new FormatException(e.Message.Replace($" (Parameter '{path}: peer {id}')", "", StringComparison.Ordinal), e); }
            if (!book.TryAdd(id, url)) throw new FormatException($"{path}: peer {id} is given twice");
        }
        var missing = Enumerable.Range(0, peers).Where(i => !book.ContainsKey(i)).ToArray();
        if (missing.Length > 0) throw new FormatException($"{path}: no address for peer(s) {string.Join(", ", missing)} of {peers}");
        return book;
    }
}
