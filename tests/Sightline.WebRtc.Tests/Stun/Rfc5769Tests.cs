using System.Net;
using System.Text;
using Sightline.WebRtc.Stun;

namespace Sightline.WebRtc.Tests.Stun;

/// <summary>RFC 5769 test vectors for STUN.</summary>
public class Rfc5769Tests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));

    private static readonly byte[] Password = Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBt");

    // RFC 5769 §2.1 Sample Request
    private static readonly byte[] Request = Hex(
        "00010058 2112a442 b7e7a701 bc34d686 fa87dfae 80220010 5354554e 20746573 7420636c 69656e74 00240004 6e0001ff " +
        "80290008 932ff9b1 51263b36 00060009 6576746a 3a683676 59202020 00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 " +
        "c1b571a2 80280004 e57a3bcf");

    // RFC 5769 §2.2 Sample IPv4 Response
    private static readonly byte[] ResponseV4 = Hex(
        "0101003c 2112a442 b7e7a701 bc34d686 fa87dfae 8022000b 74657374 20766563 746f7220 00200008 0001a147 e112a643 " +
        "00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7 80280004 c07d4c96");

    [Fact]
    public void SampleRequest_Section2_1_ParsesAndVerifies()
    {
        Assert.True(StunMessage.TryParse(Request, out var m));
        Assert.Equal(StunMessage.BindingRequest, m.Type);
        Assert.Equal("evtj:h6vY", m.Username);
        Assert.True(m.Has(StunAttributeType.Priority));
        Assert.True(m.Has(StunAttributeType.IceControlled));
        Assert.True(m.VerifyIntegrity(Password));
        Assert.True(m.VerifyFingerprint());
        Assert.False(m.VerifyIntegrity(Encoding.UTF8.GetBytes("wrong")));
    }

    [Fact]
    public void SampleIpv4Response_Section2_2_ParsesAndVerifies()
    {
        Assert.True(StunMessage.TryParse(ResponseV4, out var m));
        Assert.Equal(StunMessage.BindingSuccess, m.Type);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), m.XorMappedAddress);
        Assert.True(m.VerifyIntegrity(Password));
        Assert.True(m.VerifyFingerprint());
    }

    [Fact]
    public void Writer_ReproducesTheSampleResponse_ByteForByte()
    {
        Assert.True(StunMessage.TryParse(ResponseV4, out var original));
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMessage.BindingSuccess, original.TransactionId);
        w.Add(StunAttributeType.Software, Encoding.UTF8.GetBytes("test vector"));
        // RFC 5769 pads SOFTWARE with a space (0x20), which our writer writes as 0: patch it to compare the rest.
        w.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853));
        buffer[20 + 4 + 11] = 0x20;
        w.AddMessageIntegrity(Password);
        w.AddFingerprint();
        Assert.Equal(ResponseV4, buffer[..w.Length]);
    }

    [Fact]
    public void CorruptedMessage_FailsFingerprintAndIntegrity()
    {
        var copy = (byte[])Request.Clone();
        copy[30] ^= 1;
        Assert.True(StunMessage.TryParse(copy, out var m));
        Assert.False(m.VerifyFingerprint());
        Assert.False(m.VerifyIntegrity(Password));
    }

    [Fact]
    public void Ipv6XorMappedAddress_RoundTrips()
    {
        var buffer = new byte[128];
        var tx = Hex("b7e7a701bc34d686fa87dfae");
        var w = new StunWriter(buffer, StunMessage.BindingSuccess, tx);
        var ep = new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853);
        w.AddXorMappedAddress(ep);
        Assert.True(StunMessage.TryParse(buffer.AsSpan(0, w.Length), out var m));
        Assert.Equal(ep, m.XorMappedAddress);
    }

    [Fact]
    public void MessageIntegritySha256_RoundTrips_AndRejectsAnotherKey_Rfc8489_14_6()
    {
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMessage.BindingRequest, Hex("b7e7a701bc34d686fa87dfae"));
        w.Add(StunAttributeType.Username, Encoding.UTF8.GetBytes("evtj:h6vY"));
        w.AddMessageIntegritySha256(Password);
        w.AddFingerprint();
        Assert.True(StunMessage.TryParse(buffer.AsSpan(0, w.Length), out var m));
        Assert.True(m.VerifyIntegritySha256(Password));
        Assert.False(m.VerifyIntegritySha256(Encoding.UTF8.GetBytes("other")));
        Assert.False(m.VerifyIntegrity(Password)); // no SHA-1 integrity in this message
        Assert.True(m.VerifyFingerprint());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MutatedMessages_NeverThrow(int seed)
    {
        var r = new Random(seed);
        for (var i = 0; i < 10_000; i++)
        {
            var data = (byte[])(r.Next(2) == 0 ? Request : ResponseV4).Clone();
            for (var k = 0; k < 3; k++) data[r.Next(data.Length)] = (byte)r.Next(256);
            data = data[..r.Next(data.Length + 1)];
            if (StunMessage.TryParse(data, out var m))
            {
                _ = m.Username;
                _ = m.XorMappedAddress;
                _ = m.VerifyFingerprint();
                _ = m.VerifyIntegrity(Password);
                _ = m.VerifyIntegritySha256(Password);
            }
        }
    }
}
