using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.Rtp.Packetization;
using Sightline.TestKit;
using Sightline.WebRtc.Dtls;
using Sightline.WebRtc.Transport;
using Xunit.Abstractions;

namespace Sightline.WebRtc.Tests.Interop;

/// <summary>Real headless Chromium receives video from Sightline's WebRTC stack (signaling through a small test endpoint).</summary>
[Trait("Category", "Interop")]
public class ChromiumTests(ITestOutputHelper output)
{
    private const string Page = """
        <!doctype html><html><body><video id="v" autoplay muted playsinline></video><script>
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'recvonly' });
        pc.ontrack = (e) => { document.getElementById('v').srcObject = new MediaStream([e.track]); };
        (async () => {
          await pc.setLocalDescription(await pc.createOffer());
          const answer = await (await fetch('/offer', { method: 'POST', body: pc.localDescription.sdp })).text();
          await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        })().catch((e) => console.log('signaling failed: ' + e));
        window.result = async () => {
          const out = { connectionState: pc.connectionState };
          (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') Object.assign(out, {
              framesDecoded: s.framesDecoded, framesReceived: s.framesReceived, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
              packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, nackCount: s.nackCount, pliCount: s.pliCount });
            if (s.type === 'codec' && s.mimeType.startsWith('video')) out.codec = s.mimeType;
          });
          return out;
        };
        </script></body></html>
        """;

    // The other flow (openvidu-browser with mediaServer "mediasoup"): the server offers, the browser answers.
    private const string AnsweringPage = """
        <!doctype html><html><body><video id="v" autoplay muted playsinline></video><script>
        const pc = new RTCPeerConnection();
        pc.ontrack = (e) => { document.getElementById('v').srcObject = new MediaStream([e.track]); };
        (async () => {
          const offer = await (await fetch('/server-offer')).text();
          await pc.setRemoteDescription({ type: 'offer', sdp: offer });
          await pc.setLocalDescription(await pc.createAnswer());
          await fetch('/answer', { method: 'POST', body: pc.localDescription.sdp });
        })().catch((e) => console.log('signaling failed: ' + e));
        window.result = async () => {
          const out = { connectionState: pc.connectionState };
          (await pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') Object.assign(out, {
              framesDecoded: s.framesDecoded, frameWidth: s.frameWidth, frameHeight: s.frameHeight, nackCount: s.nackCount });
            if (s.type === 'codec' && s.mimeType.startsWith('video')) out.codec = s.mimeType;
          });
          return out;
        };
        </script></body></html>
        """;

    [Theory]
    [InlineData("H264", 0.0, "udp", false)]
    [InlineData("VP8", 0.0, "udp", false)]
    [InlineData("H264", 0.02, "udp", false)]
    [InlineData("H264", 0.0, "tcp", false)]
    [InlineData("H264", 0.0, "udp", true)]
    public async Task Chromium_DecodesTheVideoWeSend(string codec, double loss, string transport, bool serverOffers)
    {
        const int fps = 25, seconds = 8;
        var dir = Directory.CreateTempSubdirectory("sightline-webrtc-");
        try
        {
            var frames = codec == "H264"
                ? await MediaFiles.H264Async(dir.FullName, 640, 480, fps, seconds, noise: loss > 0)
                : await MediaFiles.Vp8Async(dir.FullName, 640, 480, fps, seconds);
            var mediaCodec = codec == "H264" ? MediaCodec.H264 : MediaCodec.VP8;

            await using var mux = new UdpMux(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance) { SendLossRate = loss };
            mux.Start();
            var certificate = DtlsCertificate.Create();
            PeerConnection? peer = null;
            var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            await using var app = builder.Build();
            app.MapGet("/", () => Results.Content(serverOffers ? AnsweringPage : Page, "text/html"));
            app.MapGet("/server-offer", () =>
            {
                peer = new PeerConnection(mux, certificate, NullLogger.Instance);
                peer.StateChanged += (_, s) =>
                {
                    if (s == PeerState.Connected) connected.TrySetResult();
                };
                return Results.Text(peer.CreateOffer([new TrackSpec("video", mediaCodec, "42e01f")], [IPAddress.Loopback], "sightline", IceTransports.UdpOnly));
            });
            app.MapPost("/answer", async (HttpRequest request) =>
            {
                peer!.SetRemoteAnswer(await new StreamReader(request.Body).ReadToEndAsync());
                return Results.Ok();
            });
            app.MapPost("/offer", async (HttpRequest request) =>
            {
                var offer = await new StreamReader(request.Body).ReadToEndAsync();
                peer = new PeerConnection(mux, certificate, NullLogger.Instance);
                peer.StateChanged += (_, s) =>
                {
                    if (s == PeerState.Connected) connected.TrySetResult();
                };
                var transports = transport == "tcp" ? IceTransports.TcpOnly : IceTransports.UdpOnly;
                return Results.Text(peer.Answer(offer, [new TrackSpec("video", mediaCodec, "42e01f")], [IPAddress.Loopback], "sightline", transports));
            });
            await app.StartAsync();
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

            var browser = NodeScript.ChromiumPageAsync(url, seconds + 4);
            await connected.Task.WaitAsync(TimeSpan.FromSeconds(15));
            var track = peer!.Tracks.Single();
            var estimates = new List<BandwidthEstimate>();
            peer.BandwidthEstimated += (_, e) => { lock (estimates) estimates.Add(e); };
            using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1000.0 / fps)))
            {
                uint timestamp = 0;
                foreach (var f in frames)
                {
                    var packetized = mediaCodec == MediaCodec.H264
                        ? H264Packetizer.Packetize(f.Data, timestamp, f.Keyframe)
                        : Vp8Packetizer.Packetize(f.Data, timestamp, f.Keyframe);
                    peer.SendFrame(track, packetized);
                    timestamp += 90000 / fps;
                    if (track.FramesSent % fps == 0) peer.SendReports();
                    await timer.WaitForNextTickAsync();
                }
            }
            var (result, log) = await browser;
            output.WriteLine(log);
            var decoded = result.GetProperty("framesDecoded").GetInt32();
            Assert.Equal(transport, peer.TransportProtocol);
            output.WriteLine($"{codec} over {transport}{(serverOffers ? ", server offered" : "")}, {loss:P0} loss: sent {track.FramesSent} frames in {track.PacketsSent} packets over {peer.Profile}; Chromium decoded {decoded} at {result.GetProperty("frameWidth")}x{result.GetProperty("frameHeight")}, NACKs {track.NacksReceived}, retransmitted {track.Retransmissions}");
            BandwidthEstimate? lastEstimate;
            lock (estimates) lastEstimate = estimates.Count > 0 ? estimates[^1] : null;
            output.WriteLine($"RTT {track.RoundTripMs:0.0} ms, browser-reported loss {track.LossFraction:P1}, {estimates.Count} bandwidth estimates, last {lastEstimate}");
            Assert.Equal("connected", result.GetProperty("connectionState").GetString());
            Assert.NotNull(track.RoundTripMs); // the browser's receiver reports answered our sender reports
            Assert.NotNull(lastEstimate);      // transport-wide feedback on the packets we numbered
            Assert.Equal(640, result.GetProperty("frameWidth").GetInt32());
            Assert.Equal(480, result.GetProperty("frameHeight").GetInt32());
            Assert.EndsWith(codec, result.GetProperty("codec").GetString(), StringComparison.OrdinalIgnoreCase);
            Assert.True(decoded >= track.FramesSent * (loss > 0 ? 0.90 : 0.95), $"decoded {decoded} of {track.FramesSent}");
            if (loss > 0)
            {
                Assert.True(track.NacksReceived > 0, "no NACK arrived");
                Assert.True(track.Retransmissions > 0, "nothing was retransmitted");
            }
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
