using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace NanoFed.Deploy;

/// <summary>
/// The certificates of a deployment: a node's own (a real one from PEM files, or a self-signed one made in memory
/// for tests), and the certificates its outgoing calls trust: only those given (a CA, or a peer's self-signed
/// certificate), never the machine's store and never everything.
/// </summary>
public static class TlsCertificates
{
    /// <summary>
    /// A self-signed server certificate (ECDSA P-256, valid one day) for <paramref name="hosts"/>: IP addresses and
    /// DNS names, placed in its subject alternative names. For tests and trials: clients must be given it to trust.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(params string[] hosts)
    {
        if (hosts is null || hosts.Length == 0) throw new ArgumentException("a certificate needs at least one host name or IP address", nameof(hosts));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={hosts[0]}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            if (IPAddress.TryParse(host, out var ip)) names.AddIpAddress(ip);
            else names.AddDnsName(host);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var made = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // Kestrel's TLS needs a key it can use on every platform: round-trip through PKCS#12, as a file-loaded certificate is.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A node's certificate and private key from PEM files; throws with one line naming the file on failure.</summary>
    public static X509Certificate2 LoadPem(string certificatePath, string keyPath)
    {
        RequireFile(certificatePath, "certificate");
        RequireFile(keyPath, "private key");
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (!pem.HasPrivateKey) throw new CryptographicException("no private key");
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException($"{certificatePath} with key {keyPath}: not a usable certificate and key ({e.Message})", e);
        }
    }

    /// <summary>The certificates to trust (CA certificates or self-signed node certificates) from a PEM file.</summary>
    public static X509Certificate2Collection LoadTrust(string pemPath)
    {
        RequireFile(pemPath, "trusted certificate");
        var trusted = new X509Certificate2Collection();
        try { trusted.ImportFromPemFile(pemPath); }
        catch (CryptographicException e) { throw new CryptographicException($"{pemPath}: not a PEM certificate file ({e.Message})", e); }
        if (trusted.Count == 0) throw new CryptographicException($"{pemPath}: no certificate found");
        return trusted;
    }

    /// <summary>
    /// A server-certificate check that accepts only a certificate whose chain ends in one of <paramref name="trusted"/>
    /// and whose names match the host called; the system's trust store plays no part.
    /// </summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2Collection trusted)
    {
        ArgumentNullException.ThrowIfNull(trusted);
        if (trusted.Count == 0) throw new ArgumentException("no certificate to trust", nameof(trusted));
        var roots = new X509Certificate2Collection(trusted);
        return (_, certificate, presented, errors) =>
        {
            if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
                return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (presented != null)
                foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
    }

    private static void RequireFile(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {what} file not found", path);
    }
}
