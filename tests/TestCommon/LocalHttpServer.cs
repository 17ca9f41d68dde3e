using System.Net;
using System.Net.Sockets;

namespace NanoFed.Tests;

/// <summary>An HTTP server on 127.0.0.1 that serves byte arrays, optionally breaking a response off part-way.</summary>
public sealed class LocalHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, (byte[] Body, int? TruncateAt)> _files = [];
    private readonly string _prefix;
    private int _requests;

    /// <summary>Starts listening on a free port.</summary>
    public LocalHttpServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _prefix = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_prefix);
        _listener.Start();
        _ = Task.Run(Loop);
    }

    /// <summary>Requests received so far, served or not.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Serves <paramref name="body"/> at <paramref name="path"/>; with <paramref name="truncateAt"/>, the response breaks off after that many bytes.</summary>
    public Uri Serve(string path, byte[] body, int? truncateAt = null)
    {
        lock (_files) _files[path] = (body, truncateAt);
        return new Uri(_prefix + path.TrimStart('/'));
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Close();

    private async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            Interlocked.Increment(ref _requests);
            (byte[] Body, int? TruncateAt) file;
            bool found;
            lock (_files) found = _files.TryGetValue(context.Request.Url!.AbsolutePath, out file);
            var response = context.Response;
            if (!found)
            {
                response.StatusCode = 404;
                response.Close();
                continue;
            }
            response.ContentLength64 = file.Body.Length;
            try
            {
                await response.OutputStream.WriteAsync(file.Body.AsMemory(0, file.TruncateAt ?? file.Body.Length));
                if (file.TruncateAt is null) response.Close();
                else response.Abort();
            }
            catch (HttpListenerException)
            {
                response.Abort();
            }
        }
    }
}
