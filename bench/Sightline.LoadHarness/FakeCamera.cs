using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sightline.Rtp.Packetization;

namespace Sightline.LoadHarness;

/// <summary>
/// An in-process camera for load: a minimal RTSP server (TCP interleaved) sending H.264 with a 1080p-like packet pattern
/// at a fixed bitrate and a 1 s GOP. Frame contents are random (nobody decodes them here) except the first 8 bytes of
/// each frame's last NAL body, which carry the send time (Stopwatch ticks) so viewers can measure the delay through Sightline.
/// </summary>
public sealed class FakeCamera : IAsyncDisposable
{
    // Real x264 parameter sets (1280x720 High), so Sightline parses a plausible stream.
    private static readonly byte[] Sps = Convert.FromBase64String("Z2QAH6y0AoAt2AtQEBAUAAADAAQAAAMAyjxgyoA=");
    private static readonly byte[] Pps = Convert.FromBase64String("aO88sA==");

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _bitrate, _fps;

    public FakeCamera(int bitrate = 2_000_000, int fps = 25)
    {
        _bitrate = bitrate;
        _fps = fps;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Url => $"rtsp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/load";
    public int Sessions { get; private set; }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var connection = client;
        client.NoDelay = true;
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        var write = new SemaphoreSlim(1, 1);
        using var playing = new CancellationTokenSource();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var line = await reader.ReadLineAsync();
                if (line is null) break;
                if (line.Length == 0) continue;
                var method = line.Split(' ')[0];
                string? cseq = null;
                string? header;
                while (!string.IsNullOrEmpty(header = await reader.ReadLineAsync()))
                {
                    if (header.StartsWith("CSeq:", StringComparison.OrdinalIgnoreCase)) cseq = header[5..].Trim();
                }
                var extra = "";
                var body = "";
                switch (method)
                {
                    case "OPTIONS":
                        extra = "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n";
                        break;
                    case "DESCRIBE":
                        body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=load\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n" +
                            $"a=fmtp:96 packetization-mode=1;sprop-parameter-sets={Convert.ToBase64String(Sps)},{Convert.ToBase64String(Pps)}\r\na=control:track0\r\n";
                        extra = $"Content-Type: application/sdp\r\nContent-Base: {Url}/\r\n";
                        break;
                    case "SETUP":
                        extra = "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: 12345678;timeout=60\r\n";
                        break;
                    case "PLAY":
                        extra = "Session: 12345678\r\n";
                        Sessions++;
                        _ = StreamAsync(stream, write, playing.Token);
                        break;
                }
                var response = $"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n{extra}Content-Length: {Encoding.ASCII.GetByteCount(body)}\r\n\r\n{body}";
                await write.WaitAsync();
                try
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(response));
                }
                finally
                {
                    write.Release();
                }
                if (method == "TEARDOWN") break;
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            playing.Cancel();
        }
    }

    private async Task StreamAsync(NetworkStream stream, SemaphoreSlim write, CancellationToken token)
    {
        var random = new Random(1);
        var bytesPerFrame = _bitrate / 8 / _fps;
        ushort seq = 0;
        uint timestamp = 0;
        var frameIndex = 0;
        var frame = new byte[4096];
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / _fps));
        try
        {
            while (await timer.WaitForNextTickAsync(token))
            {
                var keyframe = frameIndex % _fps == 0;
                // A keyframe is ~4x a P-frame; the average stays at the bitrate.
                var size = keyframe ? bytesPerFrame * 4 : bytesPerFrame * (_fps - 4) / (_fps - 1);
                using var au = new MemoryStream(size + 64);
                void Nal(ReadOnlySpan<byte> nal)
                {
                    Span<byte> prefix = stackalloc byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)nal.Length);
                    au.Write(prefix);
                    au.Write(nal);
                }
                if (keyframe)
                {
                    Nal(Sps);
                    Nal(Pps);
                }
                if (frame.Length < size) frame = new byte[size];
                random.NextBytes(frame.AsSpan(0, size));
                frame[0] = keyframe ? (byte)0x65 : (byte)0x41;
                BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(1), Stopwatch.GetTimestamp());
                Nal(frame.AsSpan(0, size));
                var packets = H264Packetizer.Packetize(au.ToArray(), timestamp, keyframe, 1400);
                await write.WaitAsync(token);
                try
                {
                    for (var i = 0; i < packets.Payloads.Length; i++)
                    {
                        var payload = packets.Payload(i);
                        var packet = new byte[4 + 12 + payload.Length];
                        packet[0] = (byte)'$';
                        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(12 + payload.Length));
                        Sightline.Rtp.Rtp.RtpPacket.WriteHeader(packet.AsSpan(4), i == packets.Payloads.Length - 1, 96, seq++, timestamp, 0xCA4E0001);
                        payload.CopyTo(packet.AsSpan(16));
                        await stream.WriteAsync(packet, token);
                    }
                }
                finally
                {
                    write.Release();
                }
                timestamp += (uint)(90000 / _fps);
                frameIndex++;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
