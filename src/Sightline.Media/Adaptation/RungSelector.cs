using Sightline.WebRtc;

namespace Sightline.Media.Adaptation;

/// <summary>
/// Chooses one viewer's rung of a camera's quality ladder from that viewer's own bandwidth estimates (transport-wide
/// feedback or REMB, with loss). Rung 0 is the best picture; higher indexes are cheaper.
/// </summary>
/// <remarks>
/// <para>Going down is quick: a window with heavy loss shows the link's capacity (what still arrived), and the viewer
/// moves to the best rung that fits in it with headroom.</para>
/// <para>Going up is earned: a delivery rate without loss says nothing about the room above it, so after a hold time
/// the viewer's link is probed with padding (retransmissions of packets it already has) in steps of at most 1.25× what
/// it carries, stopped as soon as the link's queue grows; only when a probe at the upper rung's rate arrives cleanly does the viewer move up. A failed probe or a
/// fall soon after a move up doubles the hold time (up to a minute): a viewer on a link that cannot carry the upper
/// rung does not flap, and a probe costs it a little padding, never a frozen picture.</para>
/// <para>A REMB (draft-alvestrand-rmcat-remb §2) is the receiver's ceiling: while one is fresh the viewer is at once on
/// the best rung that fits under it (with the same headroom), and neither probes nor moves above it. A viewer that
/// also sends transport-wide feedback is steered by that feedback under the ceiling; one that sends only REMB, by its
/// REMB.</para>
/// </remarks>
public sealed class RungSelector(TimeProvider time)
{
    /// <summary>Loss over a feedback window at which the link is taken as congested.</summary>
    public const double CongestedLoss = 0.10;
    /// <summary>Loss under which a window counts as clean (probing may go on).</summary>
    public const double CleanLoss = 0.03;
    /// <summary>A rung fits a link when its bitrate is at most this share of the link's capacity.</summary>
    public const double Headroom = 0.85;
    /// <summary>A probe stops as soon as the link's queue grows this much over one feedback window.</summary>
    public const double ProbeQueueGrowthMs = 20;
    /// <summary>A window whose queue grew this much is congestion even without loss (a deep buffer filling up).</summary>
    public const double CongestedQueueGrowthMs = 150;
    public static readonly TimeSpan BaseHold = TimeSpan.FromSeconds(4);
    public static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(60);
    /// <summary>A fall this soon after a move up means the move was wrong: the next try waits longer.</summary>
    public static readonly TimeSpan ProvenAfter = TimeSpan.FromSeconds(15);
    /// <summary>A REMB older than this no longer limits the viewer (receivers send one about every second).</summary>
    public static readonly TimeSpan CeilingLifetime = TimeSpan.FromSeconds(5);

    private TimeSpan _hold = BaseHold;
    private long _holdUntil;
    private long _lastUpTicks = long.MinValue;
    private int _probeWindows;
    private long _ceiling;
    private long _ceilingTicks = long.MinValue;
    private long _transportFeedbackTicks = long.MinValue;

    /// <summary>The rung this viewer should be on.</summary>
    public int Rung { get; private set; }
    /// <summary>Extra bits per second of padding to send while probing (0 when not probing).</summary>
    public long ProbeBitsPerSecond { get; private set; }
    /// <summary>The rate the probe aims the whole link at.</summary>
    public long ProbeTarget { get; private set; }
    /// <summary>Capacity last measured under congestion (0 until the link has been seen congested).</summary>
    public long Capacity { get; private set; }
    public int Switches { get; private set; }
    public int ProbesFailed { get; private set; }

    /// <summary>The receiver's ceiling from its last REMB (b/s), 0 when it sent none for <see cref="CeilingLifetime"/>.</summary>
    public long Ceiling => Fresh(_ceilingTicks, time.GetTimestamp()) ? _ceiling : 0;

    /// <summary>
    /// The most this viewer's rung encoder should spend (b/s), 0 for no limit: 4/5 of the capacity measured under
    /// congestion, and at most the ceiling with the headroom a rung gets under it.
    /// </summary>
    public long EncoderLimit
    {
        get
        {
            var limit = Capacity * 4 / 5;
            var ceiling = (long)(Ceiling * Headroom);
            return ceiling > 0 && (limit == 0 || ceiling < limit) ? ceiling : limit;
        }
    }

    /// <summary>False when the viewer's link cannot be probed (no RTX negotiated): moving up is then tried directly.</summary>
    public bool CanProbe { get; init; } = true;

    /// <summary>Starts a viewer on a rung (0 for the camera's own stream).</summary>
    public void Reset(int rung)
    {
        Rung = rung;
        ProbeBitsPerSecond = 0;
        _holdUntil = time.GetTimestamp() + (long)(BaseHold.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>
    /// Takes one estimate. <paramref name="rungBitrates"/> holds each rung's bitrate now (index 0 best); a rung whose
    /// bitrate is unknown is 0 and always fits. Returns the rung the viewer should be on.
    /// </summary>
    public int OnEstimate(BandwidthEstimate estimate, ReadOnlySpan<long> rungBitrates)
    {
        var now = time.GetTimestamp();
        var last = rungBitrates.Length - 1;
        if (Rung > last) Rung = last;
        if (estimate.Source == "remb")
        {
            _ceiling = estimate.BitsPerSecond;
            _ceilingTicks = now;
            // Beside transport-wide feedback a REMB is only the ceiling: its rate is no measure of what arrived.
            if (Fresh(_transportFeedbackTicks, now)) return UnderCeiling(rungBitrates, now);
        }
        else
        {
            _transportFeedbackTicks = now;
        }
        Steer(estimate, rungBitrates, now);
        return UnderCeiling(rungBitrates, now);
    }

    // A fresh ceiling takes the viewer at once to the best rung that fits under it, and ends any probe.
    private int UnderCeiling(ReadOnlySpan<long> rungBitrates, long now)
    {
        if (!Fresh(_ceilingTicks, now)) return Rung;
        var last = rungBitrates.Length - 1;
        var fitting = last;
        for (var k = 0; k <= last; k++)
        {
            if (rungBitrates[k] <= _ceiling * Headroom)
            {
                fitting = k;
                break;
            }
        }
        if (fitting > Rung)
        {
            Rung = fitting;
            Switches++;
            _holdUntil = now + Ticks(_hold);
        }
        if (ProbeBitsPerSecond > 0 && (Rung == 0 || rungBitrates[Rung - 1] > _ceiling * Headroom)) EndProbe(failed: false, now);
        return Rung;
    }

    private void Steer(BandwidthEstimate estimate, ReadOnlySpan<long> rungBitrates, long now)
    {
        var last = rungBitrates.Length - 1;
        if (estimate.LossFraction >= CongestedLoss || estimate.QueueGrowthMs >= CongestedQueueGrowthMs && ProbeBitsPerSecond == 0)
        {
            if (ProbeBitsPerSecond > 0)
            {
                // The probe itself overfilled the link: stop it, stay, and wait longer before the next one.
                EndProbe(failed: true, now);
                if (estimate.LossFraction < 2 * CongestedLoss) return;
            }
            Capacity = estimate.BitsPerSecond;
            var fitting = last;
            for (var k = 0; k <= last; k++)
            {
                if (rungBitrates[k] <= Capacity * Headroom)
                {
                    fitting = k;
                    break;
                }
            }
            if (fitting > Rung)
            {
                if (_lastUpTicks != long.MinValue && Elapsed(_lastUpTicks, now) < ProvenAfter) Longer();
                Rung = fitting;
                Switches++;
            }
            _holdUntil = now + Ticks(_hold);
            return;
        }
        if (estimate.LossFraction > CleanLoss || ProbeBitsPerSecond > 0 && estimate.QueueGrowthMs > ProbeQueueGrowthMs)
        {
            // Loss, or a probe that makes the link's queue grow (it is over capacity, loss would follow): stop probing.
            if (ProbeBitsPerSecond > 0) EndProbe(failed: true, now);
            return;
        }
        // A clean window.
        if (_lastUpTicks != long.MinValue && Elapsed(_lastUpTicks, now) >= ProvenAfter) _hold = BaseHold;
        if (Rung == 0) return;
        var upper = rungBitrates[Rung - 1];
        // Never probe nor move above the receiver's ceiling.
        if (Fresh(_ceilingTicks, now) && upper > _ceiling * Headroom) return;
        var needed = (long)(upper / Headroom);
        if (ProbeBitsPerSecond > 0)
        {
            // The first window after the probe began may hold time before it: judge on the second.
            if (++_probeWindows < 2) return;
            if (estimate.BitsPerSecond < ProbeTarget * 0.9)
            {
                EndProbe(failed: true, now);
                return;
            }
            Capacity = Math.Max(Capacity, estimate.BitsPerSecond);
            if (estimate.BitsPerSecond >= needed * 0.9)
            {
                EndProbe(failed: false, now);
                MoveUp(now);
                return;
            }
            StartProbe(estimate.BitsPerSecond, needed);
            return;
        }
        if (now < _holdUntil) return;
        if (estimate.BitsPerSecond >= needed || !CanProbe)
        {
            MoveUp(now);
            return;
        }
        StartProbe(estimate.BitsPerSecond, needed);
        return;
    }

    // Aims the link at up to 1.25x what it carries (padding included); the padding tops up the viewer's own media.
    private void StartProbe(long carrying, long needed)
    {
        var media = Math.Max(0, carrying - ProbeBitsPerSecond);
        ProbeTarget = Math.Min(needed, Math.Max(carrying * 5 / 4, carrying + 50_000));
        ProbeBitsPerSecond = Math.Max(0, ProbeTarget - media);
        _probeWindows = 0;
    }

    private void EndProbe(bool failed, long now)
    {
        ProbeBitsPerSecond = 0;
        ProbeTarget = 0;
        if (!failed) return;
        ProbesFailed++;
        Longer();
        _holdUntil = now + Ticks(_hold);
    }

    private void MoveUp(long now)
    {
        Rung--;
        Switches++;
        _lastUpTicks = now;
        _holdUntil = now + Ticks(_hold);
    }

    private void Longer() => _hold = TimeSpan.FromTicks(Math.Min(MaxHold.Ticks, _hold.Ticks * 2));

    // Whether a REMB, or the last transport-wide feedback, is recent enough to count.
    private bool Fresh(long ticks, long now) => ticks != long.MinValue && Elapsed(ticks, now) <= CeilingLifetime;

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private TimeSpan Elapsed(long from, long to) => TimeSpan.FromSeconds((double)(to - from) / time.TimestampFrequency);
}
