using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Lab.Results.Formats;

/// <summary>The JSON files' conventions: indented, '\n', keys in a fixed order, readable Unicode, a final newline.</summary>
internal static class Json
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Options)) body(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>Numbers in JSON files: 3 decimals (deterministic, readable).</summary>
    public static double Round3(double v) => Math.Round(v, 3, MidpointRounding.AwayFromZero);

    public static JsonDocument Parse(string text, string file)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException e)
        {
            throw new ResultsFormatException(file, e.LineNumber is { } l ? (int)l + 1 : null, "not valid JSON: " + e.Message, e);
        }
    }

    public static JsonElement Get(JsonElement obj, string key, string file)
    {
        if (obj.ValueKind != JsonValueKind.Object) throw new ResultsFormatException(file, null, "expected a JSON object");
        if (!obj.TryGetProperty(key, out var v)) throw new ResultsFormatException(file, null, $"missing key \"{key}\"");
        return v;
    }

    public static string Str(JsonElement obj, string key, string file)
    {
        var v = Get(obj, key, file);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Bad(file, key, "a string");
    }

    public static string? StrOrNull(JsonElement obj, string key, string file)
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad(file, key, "a string or null");
    }

    public static long Long(JsonElement obj, string key, string file)
    {
        var v = Get(obj, key, file);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : throw Bad(file, key, "an integer");
    }

    public static ulong ULong(JsonElement obj, string key, string file)
    {
        var v = Get(obj, key, file);
        return v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong n) ? n : throw Bad(file, key, "a non-negative integer");
    }

    public static double Double(JsonElement obj, string key, string file)
    {
        var v = Get(obj, key, file);
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Bad(file, key, "a number");
    }

    public static double? DoubleOrNull(JsonElement obj, string key, string file)
    {
        var v = Get(obj, key, file);
        if (v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Bad(file, key, "a number or null");
    }

    /// <summary>A key added after the format's first version: absent (an older file) reads as null.</summary>
    public static double? DoubleOrAbsent(JsonElement obj, string key, string file) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out _) ? DoubleOrNull(obj, key, file) : null;

    public static DateTime Utc(JsonElement obj, string key, string file) =>
        ParseUtc(Str(obj, key, file), file, key);

    public static DateTime? UtcOrNull(JsonElement obj, string key, string file) =>
        StrOrNull(obj, key, file) is { } s ? ParseUtc(s, file, key) : null;

    public const string UtcFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string FormatUtc(DateTime t) => t.ToUniversalTime().ToString(UtcFormat, CultureInfo.InvariantCulture);

    private static DateTime ParseUtc(string s, string file, string key) =>
        DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? DateTime.SpecifyKind(t, DateTimeKind.Utc)
            : throw Bad(file, key, "a UTC time (" + UtcFormat + ")");

    public static Dictionary<string, string> StringMap(JsonElement obj, string key, string file)
    {
        var v = Get(obj, key, file);
        if (v.ValueKind != JsonValueKind.Object) throw Bad(file, key, "an object");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
            map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        return map;
    }

    public static Dictionary<string, long> LongMap(JsonElement obj, string key, string file)
    {
        var v = Get(obj, key, file);
        if (v.ValueKind != JsonValueKind.Object) throw Bad(file, key, "an object");
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
            map[p.Name] = p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out long n) ? n : throw Bad(file, key + "." + p.Name, "an integer");
        return map;
    }

    public static void WriteStringMap(Utf8JsonWriter w, string key, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartObject(key);
        foreach (var k in map.Keys.Order(StringComparer.Ordinal)) w.WriteString(k, map[k]);
        w.WriteEndObject();
    }

    public static void WriteLongMap(Utf8JsonWriter w, string key, IReadOnlyDictionary<string, long> map)
    {
        w.WriteStartObject(key);
        foreach (var k in map.Keys.Order(StringComparer.Ordinal)) w.WriteNumber(k, map[k]);
        w.WriteEndObject();
    }

    public static void WriteNumberOrNull(Utf8JsonWriter w, string key, double? v)
    {
        if (v is { } x && double.IsFinite(x)) w.WriteNumber(key, x);
        else w.WriteNull(key);
    }

    private static ResultsFormatException Bad(string file, string key, string what) =>
        new(file, null, $"key \"{key}\" should be {what}");
}
