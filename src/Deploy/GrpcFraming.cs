using Google.Protobuf;
using Grpc.Core;
using NanoFed.Federation.Transport;
using NanoFed.Deploy.Rpc;

namespace NanoFed.Deploy;

/// <summary>
/// How a message's <c>WireFormat</c> bytes travel in gRPC: cut into chunks of at most a chunk size, each the
/// <c>data</c> field of one protobuf <c>Chunk</c> message, and what that costs beyond the bytes themselves. Per
/// chunk of c bytes gRPC adds a 5-byte length prefix and protobuf a 1-byte field tag and a varint of c (1 to 3
/// bytes below 2 MiB); an acknowledged push adds the 5-byte prefix of its empty <c>Ack</c>. HTTP/2 frame headers,
/// HPACK-coded call headers and TLS records lie below this layer and are not counted (docs/deployment.md).
/// </summary>
public static class GrpcFraming
{
    /// <summary>The default chunk size, 1 MiB: well under gRPC's default 4 MB message limit.</summary>
    public const int DefaultChunkBytes = 1 << 20;

    /// <summary>The largest chunk size: a chunk and its framing must fit gRPC's default 4 MB receive limit.</summary>
    public const int MaxChunkBytes = (4 << 20) - 16;

    /// <summary>The gRPC length prefix of every message on a stream: a compression flag and a 4-byte length.</summary>
    public const int MessagePrefixBytes = 5;

    /// <summary>gRPC and protobuf framing bytes of one chunk of <paramref name="chunkBytes"/> data bytes.</summary>
    public static int ChunkOverhead(int chunkBytes) => MessagePrefixBytes + 1 + CodedOutputStream.ComputeLengthSize(chunkBytes);

    /// <summary>Framing bytes of a message of <paramref name="messageBytes"/> bytes sent in chunks of <paramref name="chunkBytes"/>.</summary>
    public static long Overhead(long messageBytes, int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(messageBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        long full = messageBytes / chunkBytes;
        int rest = (int)(messageBytes % chunkBytes);
        return full * ChunkOverhead(chunkBytes) + (rest > 0 ? ChunkOverhead(rest) : 0);
    }

    /// <summary>Writes <paramref name="bytes"/> as chunks; returns the framing bytes written beyond them.</summary>
    internal static async Task<long> WriteAsync(IAsyncStreamWriter<Chunk> stream, ReadOnlyMemory<byte> bytes, int chunkBytes)
    {
        long framing = 0;
        for (int offset = 0; offset < bytes.Length; offset += chunkBytes)
        {
            // UnsafeWrap shares the serialized buffer instead of copying it; nothing writes to it while it is sent.
            var chunk = new Chunk { Data = UnsafeByteOperations.UnsafeWrap(bytes.Slice(offset, Math.Min(chunkBytes, bytes.Length - offset))) };
            framing += MessagePrefixBytes + chunk.CalculateSize() - chunk.Data.Length;
            await stream.WriteAsync(chunk).ConfigureAwait(false);
        }
        return framing;
    }

    /// <summary>
    /// Reassembles a message's bytes from <paramref name="stream"/>, refusing (with <see cref="MessageRejectedException"/>)
    /// as soon as they exceed what <paramref name="schema"/> accepts, so an oversize message is never held whole.
    /// </summary>
    internal static async Task<byte[]> ReadAsync(IAsyncStreamReader<Chunk> stream, MessageSchema schema, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        while (await stream.MoveNext(cancel).ConfigureAwait(false))
        {
            var data = stream.Current.Data;
            if (!schema.AcceptsSize(buffer.Length + data.Length, out var reason)) throw new MessageRejectedException(reason);
            data.WriteTo(buffer);
        }
        return buffer.ToArray();
    }
}

/// <summary>A received message was refused before use; the message says why in one line.</summary>
internal sealed class MessageRejectedException(string reason) : Exception(reason);
