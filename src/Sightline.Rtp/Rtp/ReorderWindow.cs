using System.Buffers;

namespace Sightline.Rtp.Rtp;

/// <summary>Receives packets released by a <see cref="ReorderWindow"/>, in sequence order.</summary>
/// <param name="afterLoss">True when packets before this one were given up as lost.</param>
public delegate void OrderedPacketHandler(ReadOnlySpan<byte> packet, bool afterLoss);

/// <summary>
/// Puts one RTP stream back in sequence order within a bounded wait (the camera's <c>networkCache</c>). A packet that is
/// next in order is released at once — no latency is ever added on purpose. A packet after a gap is held while the gap
/// may still fill; once the oldest held packet has waited <see cref="MaxWait"/>, the gap is declared lost and everything
/// held is released. Sequence numbers wrap; a jump of more than <see cref="ResyncDistance"/> (a camera restart) resyncs.
/// </summary>
public sealed class ReorderWindow
{
    /// <summary>A jump this large is a new stream, not loss or reordering.</summary>
    public const int ResyncDistance = 3000;

    private readonly Slot[] _slots;
    private readonly int _mask;
    private readonly OrderedPacketHandler _handler;
    private long _expected = -1;
    private int _held;
    private bool _lossPending;

    private struct Slot
    {
        public byte[]? Data;
        public int Length;
        public long Extended;
        public long ArrivalMs;
    }

    /// <param name="maxWaitMs">How long a gap may be waited for; 0 = never wait (reorder only what arrives together).</param>
    /// <param name="capacity">Most packets held at once (rounded up to a power of two).</param>
    public ReorderWindow(int maxWaitMs, OrderedPacketHandler handler, int capacity = 1024)
    {
        MaxWait = Math.Max(0, maxWaitMs);
        _handler = handler;
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity, 16, 1 << 16));
        _slots = new Slot[size];
        _mask = size - 1;
    }

    public int MaxWait { get; }
    public long Lost { get; private set; }
    public long Late { get; private set; }
    public long Duplicates { get; private set; }
    public long Reordered { get; private set; }
    public long Resyncs { get; private set; }
    public int Held => _held;

    /// <summary>Takes one packet; releases it and anything it unblocks, or holds it.</summary>
    public void Push(ReadOnlySpan<byte> packet, ushort sequence, long nowMs)
    {
        if (_expected < 0)
        {
            _expected = sequence + 65536L;
        }
        var ext = _expected + (short)(sequence - (ushort)_expected);
        var distance = ext - _expected;

        if (distance == 0)
        {
            Release(packet);
            DrainConsecutive();
        }
        else if (distance < 0)
        {
            if (-distance > ResyncDistance)
            {
                Resync(ext, packet);
            }
            else
            {
                Late++;
            }
        }
        else if (distance > ResyncDistance || distance >= _slots.Length)
        {
            Resync(ext, packet);
        }
        else if (MaxWait == 0)
        {
            Lost += distance;
            _expected = ext;
            _lossPending = true;
            Release(packet);
            DrainConsecutive();
        }
        else
        {
            ref var slot = ref _slots[ext & _mask];
            if (slot.Data is not null && slot.Extended == ext)
            {
                Duplicates++;
            }
            else
            {
                if (slot.Data is not null)
                {
                    // A stale entry cannot survive a drain or resync; freed anyway so nothing leaks.
                    Free(ref slot);
                    _held--;
                }
                slot.Data = ArrayPool<byte>.Shared.Rent(packet.Length);
                packet.CopyTo(slot.Data);
                slot.Length = packet.Length;
                slot.Extended = ext;
                slot.ArrivalMs = nowMs;
                _held++;
                Reordered++;
            }
        }
        Poll(nowMs);
    }

    /// <summary>Gives up on gaps whose first held packet has waited <see cref="MaxWait"/>; call it on a timer too.</summary>
    public void Poll(long nowMs)
    {
        while (_held > 0)
        {
            var lowest = LowestHeld();
            ref var slot = ref _slots[lowest & _mask];
            if (nowMs - slot.ArrivalMs < MaxWait) return;
            Lost += lowest - _expected;
            _expected = lowest;
            _lossPending = true;
            DrainConsecutive();
        }
    }

    /// <summary>Milliseconds until the next gap times out, or null when nothing is held.</summary>
    public long? NextDeadline(long nowMs)
    {
        if (_held == 0) return null;
        return Math.Max(0, _slots[LowestHeld() & _mask].ArrivalMs + MaxWait - nowMs);
    }

    private long LowestHeld()
    {
        for (var ext = _expected; ; ext++)
        {
            ref var slot = ref _slots[ext & _mask];
            if (slot.Data is not null && slot.Extended == ext) return ext;
        }
    }

    private void DrainConsecutive()
    {
        while (_held > 0)
        {
            ref var slot = ref _slots[_expected & _mask];
            if (slot.Data is null || slot.Extended != _expected) return;
            var data = slot.Data;
            var length = slot.Length;
            slot.Data = null;
            _held--;
            Release(data.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    private void Release(ReadOnlySpan<byte> packet)
    {
        _expected++;
        var afterLoss = _lossPending;
        _lossPending = false;
        _handler(packet, afterLoss);
    }

    private void Resync(long ext, ReadOnlySpan<byte> packet)
    {
        Resyncs++;
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].Data is not null) Free(ref _slots[i]);
        }
        _held = 0;
        _expected = ext;
        _lossPending = true;
        Release(packet);
    }

    private void Free(ref Slot slot)
    {
        ArrayPool<byte>.Shared.Return(slot.Data!);
        slot.Data = null;
    }
}
