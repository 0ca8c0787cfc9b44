using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sightline.Rtp.Packetization;

namespace Sightline.TestKit;

/// <summary>
/// TEST DOUBLE — not a camera, not production code. A scriptable RTSP 1.0 server (RFC 2326) on loopback for camera
/// quirks that GStreamer's RTSP server cannot show (no RTCP sender reports, one payload type on two tracks, an SDP
/// without <c>sprop-parameter-sets</c>, a 461 for one transport, …). It answers OPTIONS, DESCRIBE (an SDP built from the
/// script's tracks), SETUP over UDP or TCP interleaved (or 461 Unsupported Transport where the script refuses one),
/// PLAY, GET_PARAMETER and TEARDOWN, then sends the script's RTP payloads once, paced by their timestamps, with RTCP
/// sender reports unless the script turns them off. Everything the client sends back (requests, receiver reports) is
/// kept for the test to check. The media comes from ffmpeg at test time (<see cref="CameraMedia"/>), packetized by
/// Sightline's own <see cref="H264Packetizer"/>; RTP and RTCP headers are written here by hand, from RFC 3550.
/// </summary>
public sealed class FakeRtspCamera : IAsyncDisposable
{
    private readonly FakeCameraScript _script;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<FakeReceiverReport> _receiverReports = new();
    private readonly ConcurrentQueue<FakeSenderReport> _senderReports = new();
    private readonly ConcurrentQueue<FakeUnitSent> _unitsSent = new();
    private readonly List<Task> _tasks = [];
    private readonly Task _accept;
    private long _packetsSent;

    private FakeRtspCamera(FakeCameraScript script)
    {
        _script = script;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = AcceptAsync(_stop.Token);
    }

    public int Port { get; }
    public string Url => $"rtsp://127.0.0.1:{Port}/cam";
    /// <summary>Every request line received, with its Transport header for SETUP ("SETUP rtsp://… RTP/AVP;unicast;…").</summary>
    public IReadOnlyList<string> Requests => [.. _requests];
    public IReadOnlyList<FakeReceiverReport> ReceiverReports => [.. _receiverReports];
    public IReadOnlyList<FakeSenderReport> SenderReportsSent => [.. _senderReports];
    /// <summary>When each access unit's first packet went out (wall clock), per track.</summary>
    public IReadOnlyList<FakeUnitSent> UnitsSent => [.. _unitsSent];
    public long PacketsSent => Interlocked.Read(ref _packetsSent);

    public static FakeRtspCamera Start(FakeCameraScript script) => new(script);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Task[] tasks;
        lock (_tasks) tasks = [.. _tasks, _accept];
        try
        {
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException or TimeoutException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            client.NoDelay = true; // small interleaved packets (RTCP) must not wait for Nagle behind the last write
            lock (_tasks) _tasks.Add(Task.Run(() => ServeAsync(client, token)));
        }
    }

    /// <summary>One client: requests and interleaved RTCP in, responses and interleaved RTP out.</summary>
    private async Task ServeAsync(TcpClient tcp, CancellationToken token)
    {
        var connection = new Connection(tcp, _script.Tracks.Count);
        using var closing = token.Register(connection.Close);
        try
        {
            var buffer = new byte[256 * 1024];
            var filled = 0;
            while (!token.IsCancellationRequested)
            {
                var read = await connection.Stream.ReadAsync(buffer.AsMemory(filled), token);
                if (read == 0) return;
                filled += read;
                var offset = 0;
                while (offset < filled)
                {
                    var used = await HandleOneAsync(connection, buffer.AsMemory(offset, filled - offset), token);
                    if (used == 0) break;
                    offset += used;
                }
                Buffer.BlockCopy(buffer, offset, buffer, 0, filled - offset);
                filled -= offset;
                if (filled == buffer.Length) return; // a request this large is not one a test sends
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Close();
            if (connection.Streaming is { } streaming) await streaming.ConfigureAwait(false);
        }
    }

    /// <summary>Handles the message at the start of <paramref name="data"/>; returns its length, 0 when incomplete.</summary>
    private async Task<int> HandleOneAsync(Connection connection, Memory<byte> data, CancellationToken token)
    {
        if (data.Span[0] == (byte)'$')
        {
            // RFC 2326 §10.12: '$', channel, 16-bit length, then the packet (here the client's RTCP).
            if (data.Length < 4) return 0;
            var length = data.Span[2] << 8 | data.Span[3];
            if (data.Length < 4 + length) return 0;
            OnRtcp(data.Span.Slice(4, length));
            return 4 + length;
        }
        var text = Encoding.ASCII.GetString(data.Span);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return 0;
        var lines = text[..end].Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var bodyLength = headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl, CultureInfo.InvariantCulture) : 0;
        if (data.Length < end + 4 + bodyLength) return 0;
        var parts = lines[0].Split(' ');
        var request = new Request(parts[0], parts.Length > 1 ? parts[1] : "", headers);
        _requests.Enqueue(request.Method + " " + request.Url + (headers.TryGetValue("Transport", out var t) ? " " + t : ""));
        var response = Respond(connection, request);
        await connection.WriteAsync(Encoding.ASCII.GetBytes(response), token);
        if (request.Method == "PLAY" && response.StartsWith("RTSP/1.0 200", StringComparison.Ordinal) && connection.Streaming is null)
        {
            connection.Streaming = Task.Run(() => StreamAsync(connection, connection.StreamStop.Token));
        }
        return end + 4 + bodyLength;
    }

    private string Respond(Connection connection, Request request)
    {
        var cseq = request.Headers.GetValueOrDefault("CSeq", "0");
        switch (request.Method)
        {
            case "OPTIONS":
                return Status(200, cseq, "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n");
            case "DESCRIBE":
                return Status(200, cseq, $"Content-Type: application/sdp\r\nContent-Base: {Url}/\r\n", Sdp());
            case "SETUP":
                return Setup(connection, request, cseq);
            case "PLAY":
                if (connection.Tracks.All(t => t is null)) return Status(455, cseq);
                var info = string.Join(",", connection.Tracks.Select((t, i) => (t, i)).Where(x => x.t is not null)
                    .Select(x => $"url={Url}/{Control(x.i)};seq={_script.Tracks[x.i].FirstSequence};rtptime={_script.Tracks[x.i].FirstTimestamp}"));
                return Status(200, cseq, $"Session: {connection.SessionId}\r\nRange: npt=0.000-\r\nRTP-Info: {info}\r\n");
            case "GET_PARAMETER":
                return Status(200, cseq, $"Session: {connection.SessionId}\r\n");
            case "TEARDOWN":
                connection.StreamStop.Cancel();
                return Status(200, cseq);
            default:
                return Status(501, cseq);
        }
    }

    private string Setup(Connection connection, Request request, string cseq)
    {
        var index = Enumerable.Range(0, _script.Tracks.Count).FirstOrDefault(i => request.Url.EndsWith("/" + Control(i), StringComparison.Ordinal), -1);
        if (index < 0) return Status(404, cseq);
        var track = _script.Tracks[index];
        var transport = request.Headers.GetValueOrDefault("Transport", "");
        var ssrc = track.Ssrc.ToString("X8", CultureInfo.InvariantCulture);
        var session = $"Session: {connection.SessionId};timeout=60\r\n";
        if (transport.Contains("RTP/AVP/TCP", StringComparison.OrdinalIgnoreCase) || transport.Contains("interleaved=", StringComparison.OrdinalIgnoreCase))
        {
            if (_script.RefuseTcp) return Status(461, cseq);
            var channels = Pair(transport, "interleaved=") ?? (2 * index, 2 * index + 1);
            connection.Tracks[index] = new TrackSetup { RtpChannel = channels.Rtp };
            return Status(200, cseq, $"Transport: RTP/AVP/TCP;unicast;interleaved={channels.Rtp}-{channels.Rtcp};ssrc={ssrc}\r\n" + session);
        }
        if (_script.RefuseUdp) return Status(461, cseq);
        if (Pair(transport, "client_port=") is not { } ports) return Status(461, cseq);
        var rtp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var rtcp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        rtp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        rtcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        connection.Tracks[index] = new TrackSetup
        {
            RtpSocket = rtp,
            RtcpSocket = rtcp,
            ClientRtp = new IPEndPoint(IPAddress.Loopback, ports.Rtp),
            ClientRtcp = new IPEndPoint(IPAddress.Loopback, ports.Rtcp),
        };
        connection.Sockets.Add(rtp);
        connection.Sockets.Add(rtcp);
        connection.Receivers.Add(ReceiveRtcpAsync(rtcp, connection.StreamStop.Token));
        connection.Receivers.Add(ReceiveRtcpAsync(rtp, connection.StreamStop.Token)); // NAT punches land here; ignored
        var serverPorts = $"{((IPEndPoint)rtp.LocalEndPoint!).Port}-{((IPEndPoint)rtcp.LocalEndPoint!).Port}";
        return Status(200, cseq, $"Transport: RTP/AVP;unicast;client_port={ports.Rtp}-{ports.Rtcp};server_port={serverPorts};ssrc={ssrc}\r\n" + session);
    }

    private string Sdp()
    {
        var sdp = new StringBuilder();
        sdp.Append("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=Sightline fake camera\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\na=range:npt=0-\r\n");
        for (var i = 0; i < _script.Tracks.Count; i++)
        {
            var t = _script.Tracks[i];
            sdp.Append(CultureInfo.InvariantCulture, $"m={t.Media} 0 RTP/AVP {t.PayloadType}\r\na=rtpmap:{t.PayloadType} {t.RtpMap}\r\n");
            if (t.Fmtp is not null) sdp.Append(CultureInfo.InvariantCulture, $"a=fmtp:{t.PayloadType} {t.Fmtp}\r\n");
            sdp.Append(CultureInfo.InvariantCulture, $"a=control:{Control(i)}\r\n");
        }
        return sdp.ToString();
    }

    private static string Control(int index) => $"trackID={index}";

    /// <summary>Sends every unit of every set-up track at its time (RTP timestamps / clock rate / pace after PLAY).</summary>
    private async Task StreamAsync(Connection connection, CancellationToken token)
    {
        var schedule = new List<(double Seconds, int Track, FakeRtpUnit Unit)>();
        for (var i = 0; i < _script.Tracks.Count; i++)
        {
            if (connection.Tracks[i] is null) continue;
            foreach (var unit in _script.Tracks[i].Units) schedule.Add(((double)unit.Time / _script.Tracks[i].ClockRate, i, unit));
        }
        schedule.Sort((a, b) => a.Seconds.CompareTo(b.Seconds));
        var sequences = _script.Tracks.Select(t => t.FirstSequence).ToArray();
        var packet = new byte[64 * 1024];
        // A sender report first and the media a moment later, so that even over UDP (RTCP on its own socket) the client
        // knows the clock before the first frame, as with cameras that send an SR at PLAY.
        var lead = _script.SenderReports ? FirstReportLead : TimeSpan.Zero;
        var started = Stopwatch.GetTimestamp() + (long)(lead.TotalSeconds * Stopwatch.Frequency);
        var startedWall = DateTimeOffset.UtcNow + lead;
        var nextReport = _script.SenderReportInterval;
        try
        {
            if (_script.SenderReports) await SendSenderReportsAsync(connection, startedWall, Stopwatch.GetElapsedTime(started), token);
            foreach (var (seconds, index, unit) in schedule)
            {
                var due = TimeSpan.FromSeconds(seconds / _script.Pace);
                var wait = due - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, token);
                if (_script.SenderReports && Stopwatch.GetElapsedTime(started) >= nextReport)
                {
                    nextReport += _script.SenderReportInterval;
                    await SendSenderReportsAsync(connection, startedWall, Stopwatch.GetElapsedTime(started), token);
                }
                var track = _script.Tracks[index];
                var timestamp = unchecked(track.FirstTimestamp + (uint)unit.Time);
                _unitsSent.Enqueue(new FakeUnitSent(index, timestamp, DateTimeOffset.UtcNow, startedWall + _script.ClockOffset + TimeSpan.FromSeconds(seconds)));
                for (var p = 0; p < unit.Payloads.Count; p++)
                {
                    var payload = unit.Payloads[p];
                    // RFC 3550 §5.1: V=2, no padding/extension/CSRC; the marker on the unit's last packet.
                    packet[0] = 0x80;
                    packet[1] = (byte)((p == unit.Payloads.Count - 1 ? 0x80 : 0) | track.PayloadType);
                    BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), sequences[index]++);
                    BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), timestamp);
                    BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), track.Ssrc);
                    payload.CopyTo(packet, 12);
                    await connection.SendAsync(index, rtcp: false, packet.AsMemory(0, 12 + payload.Length), token);
                    Interlocked.Increment(ref _packetsSent);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>How long the media waits after the first sender report.</summary>
    private static readonly TimeSpan FirstReportLead = TimeSpan.FromMilliseconds(20);

    /// <summary>One SR per track (RFC 3550 §6.4.1): the camera's NTP time now and the RTP time of the same instant
    /// (<paramref name="elapsed"/> is negative before the media starts).</summary>
    private async Task SendSenderReportsAsync(Connection connection, DateTimeOffset startedWall, TimeSpan elapsed, CancellationToken token)
    {
        var report = new byte[28];
        for (var i = 0; i < _script.Tracks.Count; i++)
        {
            if (connection.Tracks[i] is null) continue;
            var track = _script.Tracks[i];
            var wall = startedWall + elapsed;
            var ntp = Ntp(wall + _script.ClockOffset);
            var rtpTime = unchecked(track.FirstTimestamp + (uint)(long)Math.Round(elapsed.TotalSeconds * _script.Pace * track.ClockRate));
            report[0] = 0x80;
            report[1] = 200;
            BinaryPrimitives.WriteUInt16BigEndian(report.AsSpan(2), 6); // length in 32-bit words minus one
            BinaryPrimitives.WriteUInt32BigEndian(report.AsSpan(4), track.Ssrc);
            BinaryPrimitives.WriteUInt64BigEndian(report.AsSpan(8), ntp);
            BinaryPrimitives.WriteUInt32BigEndian(report.AsSpan(16), rtpTime);
            BinaryPrimitives.WriteUInt32BigEndian(report.AsSpan(20), (uint)Interlocked.Read(ref _packetsSent));
            BinaryPrimitives.WriteUInt32BigEndian(report.AsSpan(24), 0);
            _senderReports.Enqueue(new FakeSenderReport(i, ntp, rtpTime, wall));
            await connection.SendAsync(i, rtcp: true, report, token);
        }
    }

    /// <summary>NTP time (RFC 5905 §6): seconds since 1900 in the high word, the fraction in the low word.</summary>
    public static ulong Ntp(DateTimeOffset time)
    {
        var ticks = (time - new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero)).Ticks;
        return (ulong)(ticks / TimeSpan.TicksPerSecond) << 32 | ((ulong)(ticks % TimeSpan.TicksPerSecond) << 32) / TimeSpan.TicksPerSecond;
    }

    private async Task ReceiveRtcpAsync(Socket socket, CancellationToken token)
    {
        var buffer = new byte[2048];
        while (!token.IsCancellationRequested)
        {
            int received;
            try
            {
                received = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            OnRtcp(buffer.AsSpan(0, received));
        }
    }

    /// <summary>Keeps the report blocks of receiver reports (RFC 3550 §6.4.2) found in a compound packet.</summary>
    private void OnRtcp(ReadOnlySpan<byte> compound)
    {
        while (compound.Length >= 8 && compound[0] >> 6 == 2)
        {
            var length = 4 * (BinaryPrimitives.ReadUInt16BigEndian(compound[2..]) + 1);
            if (length > compound.Length) return;
            var packet = compound[..length];
            if (packet[1] == 201)
            {
                var reporter = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
                var count = packet[0] & 0x1f;
                for (var b = 0; b < count && 8 + 24 * (b + 1) <= packet.Length; b++)
                {
                    var block = packet.Slice(8 + 24 * b, 24);
                    var lost = block[5] << 16 | block[6] << 8 | block[7];
                    if ((lost & 0x800000) != 0) lost -= 0x1000000;
                    _receiverReports.Enqueue(new FakeReceiverReport(reporter, BinaryPrimitives.ReadUInt32BigEndian(block), block[4], lost,
                        BinaryPrimitives.ReadUInt32BigEndian(block[8..]), BinaryPrimitives.ReadUInt32BigEndian(block[12..]),
                        BinaryPrimitives.ReadUInt32BigEndian(block[16..]), BinaryPrimitives.ReadUInt32BigEndian(block[20..]), DateTimeOffset.UtcNow));
                }
            }
            compound = compound[length..];
        }
    }

    private static (int Rtp, int Rtcp)? Pair(string transport, string key)
    {
        var at = transport.IndexOf(key, StringComparison.OrdinalIgnoreCase);
        if (at < 0) return null;
        var value = transport[(at + key.Length)..].Split(';')[0].Split('-');
        if (!int.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a)) return null;
        return (a, value.Length > 1 && int.TryParse(value[1], NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : a + 1);
    }

    private static string Status(int code, string cseq, string headers = "", string body = "")
    {
        var reason = code switch
        {
            200 => "OK",
            404 => "Not Found",
            455 => "Method Not Valid in This State",
            461 => "Unsupported Transport",
            501 => "Not Implemented",
            _ => "Error",
        };
        return $"RTSP/1.0 {code} {reason}\r\nCSeq: {cseq}\r\nServer: Sightline fake camera\r\n{headers}Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
    }

    private sealed record Request(string Method, string Url, Dictionary<string, string> Headers);

    private sealed class TrackSetup
    {
        public int RtpChannel { get; init; } = -1;
        public Socket? RtpSocket { get; init; }
        public Socket? RtcpSocket { get; init; }
        public IPEndPoint? ClientRtp { get; init; }
        public IPEndPoint? ClientRtcp { get; init; }
    }

    /// <summary>One client connection: its TCP stream (requests, responses, interleaved packets), its tracks' set-ups.</summary>
    private sealed class Connection(TcpClient tcp, int trackCount)
    {
        private readonly SemaphoreSlim _write = new(1, 1);
        private readonly byte[] _frame = new byte[4 + 64 * 1024];

        public NetworkStream Stream { get; } = tcp.GetStream();
        public TrackSetup?[] Tracks { get; } = new TrackSetup?[trackCount];
        public string SessionId { get; } = Random.Shared.Next(0x10000000, int.MaxValue).ToString("X8", CultureInfo.InvariantCulture);
        public List<Socket> Sockets { get; } = [];
        public List<Task> Receivers { get; } = [];
        public CancellationTokenSource StreamStop { get; } = new();
        public Task? Streaming { get; set; }

        public async Task WriteAsync(byte[] data, CancellationToken token)
        {
            await _write.WaitAsync(token);
            try
            {
                await Stream.WriteAsync(data, token);
            }
            finally
            {
                _write.Release();
            }
        }

        public async Task SendAsync(int track, bool rtcp, ReadOnlyMemory<byte> packet, CancellationToken token)
        {
            var setup = Tracks[track]!;
            if (setup.RtpSocket is not null)
            {
                await (rtcp ? setup.RtcpSocket! : setup.RtpSocket).SendToAsync(packet, SocketFlags.None, rtcp ? setup.ClientRtcp! : setup.ClientRtp!, token);
                return;
            }
            await _write.WaitAsync(token);
            try
            {
                _frame[0] = (byte)'$';
                _frame[1] = (byte)(setup.RtpChannel + (rtcp ? 1 : 0));
                BinaryPrimitives.WriteUInt16BigEndian(_frame.AsSpan(2), (ushort)packet.Length);
                packet.CopyTo(_frame.AsMemory(4));
                await Stream.WriteAsync(_frame.AsMemory(0, 4 + packet.Length), token);
            }
            finally
            {
                _write.Release();
            }
        }

        public void Close()
        {
            StreamStop.Cancel();
            foreach (var s in Sockets) s.Dispose();
            tcp.Dispose();
        }
    }
}

/// <summary>What the fake camera plays.</summary>
public sealed record FakeCameraScript
{
    public required IReadOnlyList<FakeTrack> Tracks { get; init; }
    /// <summary>Answer 461 Unsupported Transport to an interleaved (TCP) SETUP, as UDP-only cameras do.</summary>
    public bool RefuseTcp { get; init; }
    /// <summary>Answer 461 Unsupported Transport to a UDP SETUP, as TCP-only cameras do.</summary>
    public bool RefuseUdp { get; init; }
    /// <summary>Send RTCP sender reports (some cameras never do).</summary>
    public bool SenderReports { get; init; } = true;
    public TimeSpan SenderReportInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How far the camera's own clock (the NTP time of its sender reports) is from the true time; cameras' often are.</summary>
    public TimeSpan ClockOffset { get; init; }
    /// <summary>Media seconds per wall-clock second (2 = twice as fast as real time). Sender reports stay true to it.</summary>
    public double Pace { get; init; } = 1;
}

/// <summary>One access unit as RTP payloads, at <see cref="Time"/> clock units after the track's first timestamp.</summary>
public sealed record FakeRtpUnit(long Time, IReadOnlyList<byte[]> Payloads);

/// <summary>One track of the fake camera: its SDP lines and its RTP stream.</summary>
public sealed record FakeTrack
{
    public required string Media { get; init; }
    public required int PayloadType { get; init; }
    /// <summary>After <c>a=rtpmap:&lt;pt&gt; </c>, e.g. <c>H264/90000</c>.</summary>
    public required string RtpMap { get; init; }
    /// <summary>After <c>a=fmtp:&lt;pt&gt; </c>; none when null.</summary>
    public string? Fmtp { get; init; }
    public required int ClockRate { get; init; }
    public required IReadOnlyList<FakeRtpUnit> Units { get; init; }
    public uint Ssrc { get; init; } = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
    public ushort FirstSequence { get; init; } = (ushort)Random.Shared.Next(0, 30000);
    public uint FirstTimestamp { get; init; } = (uint)Random.Shared.Next(0, int.MaxValue);

    /// <summary>
    /// H.264 (RFC 6184, packetization-mode 1) at <paramref name="fps"/>. <paramref name="aggregate"/>: small NAL units of
    /// a unit share STAP-A packets (as <see cref="H264Packetizer"/> does); otherwise each NAL unit goes alone — a single
    /// NAL unit packet, or FU-A fragments when over <paramref name="budget"/> — as many cameras send.
    /// <paramref name="spropInSdp"/>: the SDP carries <c>sprop-parameter-sets</c> and <c>profile-level-id</c>; without
    /// it the fmtp is only <c>packetization-mode=1</c> and the parameter sets are in-band only.
    /// </summary>
    public static FakeTrack H264(IReadOnlyList<H264Unit> units, int fps, bool spropInSdp = true, bool aggregate = true, int budget = H264Packetizer.DefaultBudget, int payloadType = 96)
    {
        var rtpUnits = new List<FakeRtpUnit>(units.Count);
        for (var i = 0; i < units.Count; i++)
        {
            var payloads = new List<byte[]>();
            if (aggregate)
            {
                AddPayloads(payloads, H264Packetizer.Packetize(units[i].LengthPrefixed(), 0, units[i].IsKeyframe, budget));
            }
            else
            {
                foreach (var nal in units[i].Nals)
                {
                    AddPayloads(payloads, H264Packetizer.Packetize(new H264Unit([nal]).LengthPrefixed(), 0, false, budget));
                }
            }
            rtpUnits.Add(new FakeRtpUnit((long)i * 90000 / fps, payloads));
        }
        var fmtp = "packetization-mode=1";
        if (spropInSdp)
        {
            var sps = units.SelectMany(u => u.Nals).First(n => (n[0] & 0x1f) == 7);
            var pps = units.SelectMany(u => u.Nals).First(n => (n[0] & 0x1f) == 8);
            fmtp += $";profile-level-id={sps[1]:x2}{sps[2]:x2}{sps[3]:x2};sprop-parameter-sets={Convert.ToBase64String(sps)},{Convert.ToBase64String(pps)}";
        }
        return new FakeTrack { Media = "video", PayloadType = payloadType, RtpMap = "H264/90000", Fmtp = fmtp, ClockRate = 90000, Units = rtpUnits };
    }

    /// <summary>AAC-LC in <c>mpeg4-generic</c> AAC-hbr mode (RFC 3640 §3.3.6): one frame per packet, one AU header each.</summary>
    public static FakeTrack Aac(IReadOnlyList<byte[]> frames, byte[] config, int sampleRate, int payloadType = 97)
    {
        var units = new List<FakeRtpUnit>(frames.Count);
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            var payload = new byte[4 + frame.Length];
            payload[1] = 16; // AU-headers-length in bits: one 16-bit header (13-bit size, 3-bit index)
            payload[2] = (byte)(frame.Length >> 5);
            payload[3] = (byte)((frame.Length & 0x1f) << 3);
            frame.CopyTo(payload, 4);
            units.Add(new FakeRtpUnit((long)i * 1024, [payload]));
        }
        return new FakeTrack
        {
            Media = "audio",
            PayloadType = payloadType,
            RtpMap = $"MPEG4-GENERIC/{sampleRate}/1",
            Fmtp = $"streamtype=5;profile-level-id=15;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config={Convert.ToHexString(config)}",
            ClockRate = sampleRate,
            Units = units,
        };
    }

    private static void AddPayloads(List<byte[]> payloads, PacketizedFrame frame)
    {
        for (var p = 0; p < frame.Payloads.Length; p++) payloads.Add(frame.Payload(p).ToArray());
    }
}

/// <summary>One report block of a receiver report the client sent (RFC 3550 §6.4.1).</summary>
public sealed record FakeReceiverReport(uint Reporter, uint Source, byte FractionLost, int CumulativeLost, uint ExtendedHighestSequence,
    uint Jitter, uint LastSenderReport, uint DelaySinceLastSenderReport, DateTimeOffset ReceivedAt);

/// <summary>A sender report the fake camera sent: its NTP time (the camera's clock) and RTP time, and when it went (true time).</summary>
public sealed record FakeSenderReport(int Track, ulong Ntp, uint RtpTimestamp, DateTimeOffset SentAt);

/// <summary>
/// An access unit that went out: when (true time), and the camera-clock time its RTP timestamp stands for — what a
/// receiver maps it to through the sender reports (exact at pace 1).
/// </summary>
public sealed record FakeUnitSent(int Track, uint RtpTimestamp, DateTimeOffset SentAt, DateTimeOffset CameraTime);
