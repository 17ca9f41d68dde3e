using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace NanoFed.Deploy;

/// <summary>
/// Checks the caller's token on every call before the service sees it: the caller presents its node id in the
/// <see cref="ClientHeader"/> header and its token as <c>authorization: Bearer TOKEN</c>. A missing, unknown or
/// wrong token is refused with <see cref="StatusCode.Unauthenticated"/>, a revoked one with
/// <see cref="StatusCode.PermissionDenied"/>, and every refusal is logged with the client id and the reason. The
/// accepted node id is left in the call's user state for the service, which checks it against each message's sender.
/// </summary>
internal sealed class TokenInterceptor(TokenStore tokens, ILogger logger, int nodeId) : Interceptor
{
    /// <summary>The request header that names the calling node.</summary>
    public const string ClientHeader = "nanofed-node";

    private const string AuthorizationHeader = "authorization";
    private const string BearerPrefix = "Bearer ";
    private const string CallerKey = "nanofed-caller";

    /// <summary>The headers an outgoing call from <paramref name="client"/> with <paramref name="token"/> carries.</summary>
    public static Metadata Credentials(int client, string token) =>
        new() { { ClientHeader, client.ToString(System.Globalization.CultureInfo.InvariantCulture) }, { AuthorizationHeader, BearerPrefix + token } };

    /// <summary>The node id the interceptor accepted for this call.</summary>
    public static int Caller(ServerCallContext context) => (int)context.UserState[CallerKey];

    /// <inheritdoc/>
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    /// <inheritdoc/>
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc/>
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc/>
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        string? client = context.RequestHeaders.GetValue(ClientHeader);
        string? authorization = context.RequestHeaders.GetValue(AuthorizationHeader);
        string? token = authorization != null && authorization.StartsWith(BearerPrefix, StringComparison.Ordinal) ? authorization[BearerPrefix.Length..] : null;
        var check = tokens.Check(client, token);
        if (check.Verdict == TokenVerdict.Accepted)
        {
            context.UserState[CallerKey] = int.Parse(client!, System.Globalization.CultureInfo.InvariantCulture);
            return;
        }
        logger.LogWarning("node {Node} refused client {Client} from {Peer} ({Method}): {Reason}", nodeId, client ?? "(none)", context.Peer, context.Method, check.Reason);
        var status = check.Verdict == TokenVerdict.Revoked ? StatusCode.PermissionDenied : StatusCode.Unauthenticated;
        throw new RpcException(new Status(status, check.Reason));
    }
}
