using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Sightline.Rtp.Packetization;
using Sightline.WebRtc;
using Sightline.WebRtc.Client;
using Sightline.WebRtc.Dtls;
using Sightline.WebRtc.Srtp;
using Sightline.WebRtc.Transport;

// Sightline's WebRTC send path, measured next to the machine's own limits in the same run. Prints figures; never
// pass/fail. Usage: dotnet run -c Release --project bench/Sightline.Bench -- [seconds-per-figure] [viewers,...]
var seconds = args.Length > 0 && double.TryParse(args[0], out var s) ? s : 2.0;
var viewerCounts = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 10, 50, 100];
const int PacketSize = 1200;

Console.WriteLine($"Sightline WebRTC send-path benchmark — {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine($"Each figure runs {seconds} s on one thread; 1200-byte payloads.");
Console.WriteLine();

// 1. The machine's raw UDP send rate on loopback (one socket, one thread), with a thread draining the receiver.
var raw = RawUdpSend(seconds);
Console.WriteLine($"Raw UDP sendto (loopback, 1200 B):        {raw,12:N0} packets/s  {raw * PacketSize * 8 / 1e6,8:N0} Mb/s");
var rawBatched = await RawBatchedSend(seconds);
Console.WriteLine($"Raw UDP sendmmsg, 64 per call:            {rawBatched,12:N0} packets/s  {rawBatched * PacketSize * 8 / 1e6,8:N0} Mb/s");

// 2. SRTP protect throughput per core.
foreach (var profile in new[] { SrtpProfile.AesCm128HmacSha1_80, SrtpProfile.AeadAes128Gcm })
{
    var (rate, allocated) = Protect(profile, seconds);
    Console.WriteLine($"SRTP protect {profile,-22}:    {rate,12:N0} packets/s  {rate * PacketSize / 1e6,8:N0} MB/s   {allocated} B allocated per packet");
}
Console.WriteLine();

// 3. Fan-out: one packetized frame to N connected viewers (header rewrite + SRTP + send per viewer), real DTLS-SRTP
//    peers on one UDP port, viewers decrypting in the same process.
Console.WriteLine("Fan-out of 1200-byte packets to N connected viewers (server send loop, one thread):");
Console.WriteLine($"{"viewers",8} {"batched",8} {"packet-sends/s",15} {"ns per send",12} {"vs raw UDP",11} {"alloc/packet",13} {"received",9}");
foreach (var n in viewerCounts)
{
    await FanOut(n, seconds, raw, batched: false);
    await FanOut(n, seconds, raw, batched: true);
}

static async Task<double> RawBatchedSend(double seconds)
{
    using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
    receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    await using var mux = new UdpMux(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
    using var batch = new SendBatch(mux);
    var stop = false;
    var drain = new Thread(() =>
    {
        var b = new byte[2048];
        receiver.ReceiveTimeout = 200;
        while (!Volatile.Read(ref stop))
        {
            try { receiver.Receive(b); } catch (SocketException) { }
        }
    }) { IsBackground = true };
    drain.Start();
    var to = receiver.LocalEndPoint!.Serialize();
    long sent = 0;
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed.TotalSeconds < seconds)
    {
        for (var i = 0; i < SendBatch.Capacity; i++)
        {
            batch.NextSlot();
            batch.Commit(PacketSize, to);
        }
        sent += SendBatch.Capacity;
    }
    var rate = sent / sw.Elapsed.TotalSeconds;
    Volatile.Write(ref stop, true);
    drain.Join();
    return rate;
}

static double RawUdpSend(double seconds)
{
    using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
    receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 8 << 20 };
    var stop = false;
    var drain = new Thread(() =>
    {
        var b = new byte[2048];
        receiver.ReceiveTimeout = 200;
        while (!Volatile.Read(ref stop))
        {
            try { receiver.Receive(b); } catch (SocketException) { }
        }
    }) { IsBackground = true };
    drain.Start();
    var to = receiver.LocalEndPoint!.Serialize();
    var payload = new byte[PacketSize];
    long sent = 0;
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed.TotalSeconds < seconds)
    {
        for (var i = 0; i < 256; i++) sender.SendTo(payload, SocketFlags.None, to);
        sent += 256;
    }
    var rate = sent / sw.Elapsed.TotalSeconds;
    Volatile.Write(ref stop, true);
    drain.Join();
    return rate;
}

static (double Rate, long AllocatedPerPacket) Protect(SrtpProfile profile, double seconds)
{
    using var ctx = new SrtpContext(profile, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(SrtpProfiles.SaltLength(profile)));
    var packet = new byte[12 + PacketSize + 32];
    packet[0] = 0x80;
    packet[1] = 96;
    ushort seq = 0;
    for (var i = 0; i < 10_000; i++) Next();
    var before = GC.GetAllocatedBytesForCurrentThread();
    long n = 0;
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed.TotalSeconds < seconds)
    {
        for (var i = 0; i < 1024; i++) Next();
        n += 1024;
    }
    var rate = n / sw.Elapsed.TotalSeconds;
    return (rate, (GC.GetAllocatedBytesForCurrentThread() - before) / n);

    void Next()
    {
        packet[2] = (byte)(seq >> 8);
        packet[3] = (byte)seq++;
        ctx.ProtectRtp(packet, 12 + PacketSize);
    }
}

static async Task FanOut(int viewers, double seconds, double raw, bool batched)
{
    await using var mux = new UdpMux(new IPEndPoint(IPAddress.Loopback, 0), NullLogger.Instance);
    mux.Start();
    var certificate = DtlsCertificate.Create();
    var peers = new List<PeerConnection>();
    var clients = new List<WebRtcClient>();
    for (var i = 0; i < viewers; i++)
    {
        var peer = new PeerConnection(mux, certificate, NullLogger.Instance);
        var client = new WebRtcClient { SendNacks = false };
        var answer = peer.Answer(client.CreateOffer(), [new TrackSpec("video", MediaCodec.H264, "42e01f")], [IPAddress.Loopback], "bench", IceTransports.UdpOnly);
        await client.ConnectAsync(answer, TimeSpan.FromSeconds(20));
        peers.Add(peer);
        clients.Add(client);
    }
    while (peers.Any(p => p.State != PeerState.Connected)) await Task.Delay(10);

    // One 1200-byte-per-packet keyframe of 25 packets, packetized once, sent to every viewer.
    var au = new byte[4 + 25 * 1198];
    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(au, (uint)(au.Length - 4));
    au[4] = 0x65;
    var frame = H264Packetizer.Packetize(au, 0, keyframe: true);
    var tracks = peers.Select(p => p.Tracks[0]).ToArray();
    using var batch = peers[0].CreateSendBatch();
    for (var w = 0; w < 20; w++) Send();
    long sends = 0;
    var before = GC.GetAllocatedBytesForCurrentThread();
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed.TotalSeconds < seconds)
    {
        Send();
        sends += (long)frame.Payloads.Length * viewers;
    }
    var elapsed = sw.Elapsed.TotalSeconds;
    var allocated = (double)(GC.GetAllocatedBytesForCurrentThread() - before) / (sends / viewers);
    await Task.Delay(300);
    var received = clients.Sum(c => c.PacketsReceived);
    var rate = sends / elapsed;
    Console.WriteLine($"{viewers,8} {(batched ? "yes" : "no"),8} {rate,15:N0} {1e9 / rate,12:N0} {rate / raw,10:P0} {allocated,10:N1} B {received * 100.0 / (sends + 20L * frame.Payloads.Length * viewers),8:N0}%");
    foreach (var c in clients) await c.DisposeAsync();
    foreach (var p in peers) p.Close();

    void Send()
    {
        for (var v = 0; v < peers.Count; v++) peers[v].SendFrame(tracks[v], frame, batched ? batch : null);
        if (batched) batch.Flush();
    }
}
