namespace Sightline.WebRtc;

/// <summary>What a viewer's link carries, from its REMB (the browser's own estimate) or from transport-wide feedback
/// (the rate at which our packets arrived, how many were lost, and how much the link's queue grew over the window:
/// the one-way delay of its last packet minus that of its first, in ms; 0 when unknown).</summary>
public readonly record struct BandwidthEstimate(long BitsPerSecond, string Source, double LossFraction, double QueueGrowthMs = 0);
