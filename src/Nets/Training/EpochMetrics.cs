using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NanoFed.Nets.Training;

/// <summary>Loss and accuracy of a model on one test set.</summary>
/// <param name="Name">The test set's name (e.g. its file name).</param>
/// <param name="Loss">Mean cross-entropy per image.</param>
/// <param name="Accuracy">Fraction of images classified correctly, in [0, 1].</param>
/// <param name="Count">Number of images.</param>
public sealed record TestMetrics(string Name, double Loss, double Accuracy, int Count);

/// <summary>What one training epoch measured.</summary>
/// <param name="Epoch">The epoch, counting from 1.</param>
/// <param name="Lr">Learning rate of the epoch's last step.</param>
/// <param name="TrainLoss">Mean training cross-entropy per image (in training mode, as the steps saw it).</param>
/// <param name="TrainAccuracy">Fraction of training images classified correctly during the steps.</param>
/// <param name="Tests">Evaluation (eval mode) on each test set after the epoch.</param>
/// <param name="Seconds">Wall time of the epoch: training and evaluation.</param>
/// <param name="ImagesPerSecond">Training images per second of training time (evaluation excluded).</param>
public sealed record EpochMetrics(int Epoch, double Lr, double TrainLoss, double TrainAccuracy, IReadOnlyList<TestMetrics> Tests,
    double Seconds, double ImagesPerSecond)
{
    /// <summary>A list of metrics as a JSON array (non-finite numbers as strings "NaN", "Infinity").</summary>
    public static string ToJson(IEnumerable<EpochMetrics> epochs, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            json.WriteStartArray();
            foreach (var m in epochs)
            {
                json.WriteStartObject();
                json.WriteNumber("epoch", m.Epoch);
                Number(json, "lr", m.Lr);
                Number(json, "train_loss", m.TrainLoss);
                Number(json, "train_accuracy", m.TrainAccuracy);
                json.WriteStartArray("tests");
                foreach (var t in m.Tests)
                {
                    json.WriteStartObject();
                    json.WriteString("name", t.Name);
                    Number(json, "loss", t.Loss);
                    Number(json, "accuracy", t.Accuracy);
                    json.WriteNumber("count", t.Count);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                Number(json, "seconds", m.Seconds);
                Number(json, "images_per_second", m.ImagesPerSecond);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses <see cref="ToJson"/>'s output; throws <see cref="FormatException"/> when malformed.</summary>
    public static List<EpochMetrics> FromJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var list = new List<EpochMetrics>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                var tests = e.GetProperty("tests").EnumerateArray()
                    .Select(t => new TestMetrics(t.GetProperty("name").GetString()!, Read(t, "loss"), Read(t, "accuracy"), t.GetProperty("count").GetInt32()))
                    .ToList();
                list.Add(new EpochMetrics(e.GetProperty("epoch").GetInt32(), Read(e, "lr"), Read(e, "train_loss"), Read(e, "train_accuracy"),
                    tests, Read(e, "seconds"), Read(e, "images_per_second")));
            }
            return list;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FormatException($"malformed metrics ({e.Message})", e);
        }
    }

    /// <summary>
    /// The metrics as CSV: epoch, lr, train_loss, train_acc, then test_loss and test_acc for each test set (named
    /// after the first epoch's sets), seconds, images_per_s.
    /// </summary>
    public static string ToCsv(IReadOnlyList<EpochMetrics> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var s = new StringBuilder("epoch,lr,train_loss,train_acc");
        if (epochs.Count > 0)
            foreach (var t in epochs[0].Tests) s.Append(CultureInfo.InvariantCulture, $",{t.Name}_loss,{t.Name}_acc");
        s.Append(",seconds,images_per_s\n");
        foreach (var m in epochs)
        {
            s.Append(CultureInfo.InvariantCulture, $"{m.Epoch},{m.Lr:G6},{m.TrainLoss:F5},{m.TrainAccuracy:F5}");
            foreach (var t in m.Tests) s.Append(CultureInfo.InvariantCulture, $",{t.Loss:F5},{t.Accuracy:F5}");
            s.Append(CultureInfo.InvariantCulture, $",{m.Seconds:F2},{m.ImagesPerSecond:F1}\n");
        }
        return s.ToString();
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
    }

    private static double Read(JsonElement e, string name)
    {
        var p = e.GetProperty(name);
        return p.ValueKind == JsonValueKind.String ? double.Parse(p.GetString()!, CultureInfo.InvariantCulture) : p.GetDouble();
    }
}
