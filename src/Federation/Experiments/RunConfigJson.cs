using System.Text.Json;
using System.Text.Json.Nodes;

namespace NanoFed.Federation.Experiments;

/// <summary>What the run configurations' parsers share.</summary>
internal static class RunConfigJson
{
    // A key given twice is malformed input: left to JsonObject, it surfaces as an ArgumentException on first use.
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    /// <summary>The JSON object <paramref name="json"/> holds; a <see cref="JsonException"/> when it is not one, or names a key twice.</summary>
    public static JsonObject Object(string json) =>
        JsonNode.Parse(json, documentOptions: Strict) as JsonObject ?? throw new JsonException("the configuration is not a JSON object");
}
