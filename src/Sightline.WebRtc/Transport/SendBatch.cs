using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sightline.WebRtc.Transport;

/// <summary>
/// Datagrams collected for one system call: on Linux they leave through <c>sendmmsg(2)</c>, each with its own
/// destination (so one batch can serve many viewers), elsewhere one <c>sendto</c> each. Belongs to one sending thread
/// (a camera's fan-out loop); its buffers are allocated once, in native memory, and reused.
/// </summary>
public sealed unsafe partial class SendBatch : IDisposable
{
    public const int Capacity = 64;
    private const int Slot = 1536;
    private const int AddressSize = 128; // room for any sockaddr

    private readonly UdpMux _mux;
    private readonly byte* _data;
    private readonly byte* _addresses;
    private readonly Iovec* _iov;
    private readonly MmsgHdr* _messages;
    private readonly int[] _lengths = new int[Capacity];
    private readonly SocketAddress?[] _targets = new SocketAddress?[Capacity];
    private int _count;

    public SendBatch(UdpMux mux)
    {
        _mux = mux;
        _data = (byte*)NativeMemory.AllocZeroed(Capacity * Slot);
        _addresses = (byte*)NativeMemory.AllocZeroed(Capacity * AddressSize);
        _iov = (Iovec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(Iovec)));
        _messages = (MmsgHdr*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MmsgHdr)));
    }

    public long SystemCalls { get; private set; }
    public long Datagrams { get; private set; }

    /// <summary>The next free slot to write a datagram into (up to 1536 bytes); commit it with <see cref="Commit"/>.</summary>
    public Span<byte> NextSlot()
    {
        if (_count == Capacity) Flush();
        return new Span<byte>(_data + _count * Slot, Slot);
    }

    /// <summary>Queues the datagram written in the last <see cref="NextSlot"/> for <paramref name="to"/>.</summary>
    public void Commit(int length, SocketAddress to)
    {
        _lengths[_count] = length;
        _targets[_count] = to;
        _count++;
        if (_count == Capacity) Flush();
    }

    /// <summary>Sends everything queued.</summary>
    public void Flush()
    {
        if (_count == 0) return;
        if (OperatingSystem.IsLinux()) FlushLinux();
        else
        {
            for (var i = 0; i < _count; i++) _mux.Send(new ReadOnlySpan<byte>(_data + i * Slot, _lengths[i]), _targets[i]!);
            SystemCalls += _count;
        }
        Datagrams += _count;
        Array.Clear(_targets, 0, _count);
        _count = 0;
    }

    private void FlushLinux()
    {
        for (var i = 0; i < _count; i++)
        {
            var address = _targets[i]!;
            var name = _addresses + i * AddressSize;
            address.Buffer.Span[..address.Size].CopyTo(new Span<byte>(name, AddressSize));
            _iov[i] = new Iovec { Base = _data + i * Slot, Length = (nuint)_lengths[i] };
            _messages[i] = new MmsgHdr { Name = name, NameLength = (uint)address.Size, Iov = _iov + i, IovLength = 1 };
        }
        var handle = _mux.SocketHandle;
        var sent = 0;
        while (sent < _count)
        {
            var n = Sendmmsg(handle, _messages + sent, (uint)(_count - sent), 0);
            SystemCalls++;
            if (n <= 0)
            {
                // EAGAIN or an error for one destination: the rest go one by one, as a full buffer loses only them.
                for (var i = sent; i < _count; i++) _mux.Send(new ReadOnlySpan<byte>(_data + i * Slot, _lengths[i]), _targets[i]!);
                break;
            }
            sent += n;
        }
        _mux.CountSent(_count, TotalLength());
    }

    private long TotalLength()
    {
        long total = 0;
        for (var i = 0; i < _count; i++) total += _lengths[i];
        return total;
    }

    public void Dispose()
    {
        NativeMemory.Free(_data);
        NativeMemory.Free(_addresses);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_messages);
    }

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int Sendmmsg(nint socket, MmsgHdr* messages, uint count, int flags);

    // Linux x86-64/arm64 layouts of struct iovec, struct msghdr and struct mmsghdr.
    [StructLayout(LayoutKind.Sequential)]
    internal struct Iovec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct MmsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public Iovec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
        private readonly int _padding; // struct msghdr ends 8-aligned (56 bytes)
        public uint Length; // msg_len, filled in by the kernel
        private readonly int _tail;
    }
}
