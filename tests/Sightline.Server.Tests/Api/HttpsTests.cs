using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sightline.Server.Tests.Api;

public sealed class HttpsTests
{
    [Fact]
    public async Task WithPemCertificate_ServesHttps_AndTokensAreWss()
    {
        var dir = Directory.CreateTempSubdirectory("sightline-tls-");
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            var certPath = Path.Combine(dir.FullName, "cert.pem");
            var keyPath = Path.Combine(dir.FullName, "key.pem");
            await File.WriteAllTextAsync(certPath, cert.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());

            await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
            {
                ["SIGHTLINE_TLS_CERTIFICATE"] = certPath,
                ["SIGHTLINE_TLS_KEY"] = keyPath,
                ["DOMAIN_OR_PUBLIC_IP"] = "cams.example.com",
                ["HTTPS_PORT"] = "8443",
            });
            Assert.Equal("https", server.BaseUrl.Scheme);
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var client = new HttpClient(handler) { BaseAddress = server.BaseUrl };
            client.DefaultRequestHeaders.Authorization = server.Client.DefaultRequestHeaders.Authorization;
            var (status, json, _) = await Http.PostAsync(client, "/openvidu/api/sessions", "{\"customSessionId\":\"tls\"}");
            Assert.Equal(HttpStatusCode.OK, status);
            var (_, connection, _) = await Http.PostAsync(client, "/openvidu/api/sessions/tls/connection", "{}");
            Assert.StartsWith("wss://cams.example.com:8443?sessionId=tls&token=tok_", connection!.Value.GetProperty("token").GetString());
            var publicUrl = await client.GetStringAsync("/openvidu/api/config/openvidu-publicurl");
            Assert.Equal("https://cams.example.com:8443", publicUrl);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
