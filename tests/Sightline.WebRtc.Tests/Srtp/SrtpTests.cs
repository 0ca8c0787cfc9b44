using System.Buffers.Binary;
using System.Security.Cryptography;
using Sightline.WebRtc.Srtp;

namespace Sightline.WebRtc.Tests.Srtp;

public class SrtpTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal));

    [Fact]
    public void KeyDerivation_MatchesRfc3711_AppendixB3()
    {
        var masterKey = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
        var masterSalt = Hex("0EC675AD498AFEEBB6960B3AABE6");
        var cipherKey = new byte[16];
        var salt = new byte[14];
        var auth = new byte[20];
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpEncryption, cipherKey);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpSalt, salt);
        SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpAuthentication, auth);
        Assert.Equal(Hex("C61E7A93744F39EE10734AFE3FF7A087"), cipherKey);
        Assert.Equal(Hex("30CBBC08863D8C85D49DB34A9AE1"), salt);
        Assert.Equal(Hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"), auth);
    }

    [Fact]
    public void AesCounterKeystream_MatchesRfc3711_AppendixB2()
    {
        // Session key 2B7E..., salt F0F1...FD, SSRC 0, index 0: the keystream is AES(k, F0F1...FD0000 + j).
        using var aes = Aes.Create();
        aes.Key = Hex("2B7E151628AED2A6ABF7158809CF4F3C");
        var counters = Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000 F0F1F2F3F4F5F6F7F8F9FAFBFCFD0001 F0F1F2F3F4F5F6F7F8F9FAFBFCFD0002");
        var stream = aes.EncryptEcb(counters, PaddingMode.None);
        Assert.Equal(Hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0"), stream);
    }

    public static TheoryData<SrtpProfile> Profiles => [SrtpProfile.AesCm128HmacSha1_80, SrtpProfile.AeadAes128Gcm];

    private static (SrtpContext Sender, SrtpContext Receiver) Pair(SrtpProfile profile)
    {
        var key = RandomNumberGenerator.GetBytes(16);
        var salt = RandomNumberGenerator.GetBytes(SrtpProfiles.SaltLength(profile));
        return (new SrtpContext(profile, key, salt), new SrtpContext(profile, key, salt));
    }

    private static byte[] RtpPacket(ushort seq, int payload = 100, uint ssrc = 0xCAFEBABE)
    {
        var p = new byte[12 + payload + 32];
        p[0] = 0x80;
        p[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), 1234u * seq);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(8), ssrc);
        for (var i = 0; i < payload; i++) p[12 + i] = (byte)(i + seq);
        return p;
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Rtp_RoundTrips_AcrossSequenceWrap(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        for (var i = 0; i < 70_000; i += 7)
        {
            var seq = (ushort)(65000 + i);
            var packet = RtpPacket(seq);
            var plain = packet[..112].ToArray();
            var protectedLength = tx.ProtectRtp(packet, 112);
            Assert.Equal(112 + SrtpProfiles.RtpOverhead(profile), protectedLength);
            Assert.NotEqual(plain[12..], packet[12..112]);
            Assert.Equal(112, rx.UnprotectRtp(packet, protectedLength));
            Assert.Equal(plain, packet[..112]);
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void TamperedOrReplayedRtp_IsRejected(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        var packet = RtpPacket(1);
        var length = tx.ProtectRtp(packet, 112);
        var copy = packet.ToArray();
        copy[20] ^= 0x01;
        Assert.Equal(-1, rx.UnprotectRtp(copy, length));
        var replay = packet.ToArray();
        Assert.Equal(112, rx.UnprotectRtp(packet, length));
        Assert.Equal(-1, rx.UnprotectRtp(replay, length));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Rtcp_RoundTrips_WithIndexAndEFlag(SrtpProfile profile)
    {
        var (tx, rx) = Pair(profile);
        for (var i = 0; i < 5; i++)
        {
            // A receiver report with one block (32 bytes).
            var packet = new byte[32 + 32];
            packet[0] = 0x81;
            packet[1] = 201;
            packet[3] = 7;
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), 0x01020304);
            for (var k = 8; k < 32; k++) packet[k] = (byte)(k * i);
            var plain = packet[..32].ToArray();
            var length = tx.ProtectRtcp(packet, 32);
            Assert.Equal(32 + SrtpProfiles.RtcpOverhead(profile), length);
            Assert.Equal(0x80000000u | (uint)i, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(profile == SrtpProfile.AeadAes128Gcm ? length - 4 : 32)));
            Assert.Equal(32, rx.UnprotectRtcp(packet, length));
            Assert.Equal(plain, packet[..32]);
        }
    }

    [Fact]
    public void ReplayWindow_AcceptsOutOfOrder_RejectsDuplicatesAndTooOld()
    {
        var w = new ReplayWindow();
        w.Accept(100);
        Assert.True(w.Check(99));
        w.Accept(99);
        Assert.False(w.Check(99));
        Assert.True(w.Check(200));
        w.Accept(200);
        Assert.False(w.Check(100)); // 100 packets back: outside the 64-packet window
        Assert.True(w.Check(150));
    }

    [Fact]
    public void Protect_AllocatesNothing_PerPacket()
    {
        var (tx, _) = Pair(SrtpProfile.AesCm128HmacSha1_80);
        var (gcm, _) = Pair(SrtpProfile.AeadAes128Gcm);
        var packet = RtpPacket(1, 1200);
        for (var i = 0; i < 100; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)i);
            tx.ProtectRtp(packet, 1212);
            gcm.ProtectRtp(packet, 1212);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(i + 100));
            tx.ProtectRtp(packet, 1212);
            gcm.ProtectRtp(packet, 1212);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
