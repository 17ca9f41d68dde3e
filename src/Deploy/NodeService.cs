using Grpc.Core;
using NanoFed.Deploy.Rpc;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy;

/// <summary>
/// The listening side of a <see cref="GrpcTransport"/>: reassembles each incoming message, validates it (size
/// while it streams, then the schema, then that its sender is the authenticated caller and its receiver this node)
/// and only then puts it in the inbox (<c>Push</c>) or hands it to the node's handler and streams the reply back
/// (<c>Exchange</c>). A rejected message is logged with its reason and answered with a gRPC error; it never
/// reaches the inbox or the handler.
/// </summary>
internal sealed class NodeService(GrpcTransport node) : NodeTransport.NodeTransportBase
{
    /// <inheritdoc/>
    public override async Task<Ack> Push(IAsyncStreamReader<Chunk> requestStream, ServerCallContext context)
    {
        var message = await ReceiveAsync(requestStream, context).ConfigureAwait(false);
        node.Enqueue(message);
        return new Ack();
    }

    /// <inheritdoc/>
    public override async Task Exchange(IAsyncStreamReader<Chunk> requestStream, IServerStreamWriter<Chunk> responseStream, ServerCallContext context)
    {
        var request = await ReceiveAsync(requestStream, context).ConfigureAwait(false);
        var reply = node.Answer(request);
        var bytes = WireFormat.Serialize(reply);
        long framing = await GrpcFraming.WriteAsync(responseStream, bytes, node.Options.ChunkBytes).ConfigureAwait(false);
        node.RecordSent(reply, bytes.Length, framing);
    }

    /// <inheritdoc/>
    public override async Task Orchestrate(IAsyncStreamReader<Chunk> requestStream, IServerStreamWriter<Chunk> responseStream, ServerCallContext context)
    {
        var request = await ReceiveAsync(requestStream, context).ConfigureAwait(false);
        var bytes = WireFormat.Serialize(node.AnswerOrchestration(request));
        await GrpcFraming.WriteAsync(responseStream, bytes, node.Options.ChunkBytes).ConfigureAwait(false);
    }

    private async Task<Message> ReceiveAsync(IAsyncStreamReader<Chunk> stream, ServerCallContext context)
    {
        int caller = TokenInterceptor.Caller(context);
        try
        {
            var bytes = await GrpcFraming.ReadAsync(stream, node.Options.Schema, context.CancellationToken).ConfigureAwait(false);
            if (!node.Options.Schema.Accepts(bytes, out var message, out var reason)) throw new MessageRejectedException(reason);
            if (message!.Sender != caller) throw new MessageRejectedException($"sender {message.Sender} is not the authenticated client {caller}");
            if (message.Receiver != node.NodeId) throw new MessageRejectedException($"addressed to node {message.Receiver}, this is node {node.NodeId}");
            return message;
        }
        catch (MessageRejectedException e)
        {
            node.LogRejected(caller, e.Message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }
}
