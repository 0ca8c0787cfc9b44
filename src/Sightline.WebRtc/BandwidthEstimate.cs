namespace Sightline.WebRtc;

/// <summary>What a viewer's link carries, from its REMB (the browser's own estimate) or from transport-wide feedback
/// (the rate at which our packets arrived, and how many were lost).</summary>
public readonly record struct BandwidthEstimate(long BitsPerSecond, string Source, double LossFraction);
