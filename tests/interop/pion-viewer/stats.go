package main

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// trackStats counts what one received track brought: packets, bytes (RTP header and payload, after SRTP), frames
// (a new RTP timestamp), keyframes (frames with H.264 IDR or VP8 key data), lost packets (RFC 3550 §A.3: expected from
// the extended highest sequence number, minus received; RTX repairs are not counted back, pion 3.1 keeps them for
// its own use) and the picture size last read from an SPS or VP8 key frame.
type trackStats struct {
	mu                sync.Mutex
	kind, mime, fmtp  string
	payloadType       uint8
	ssrc              uint32
	packets, bytes    uint64
	frames, keyframes uint64
	width, height     int
	first, last       time.Time
	baseSeq, maxSeq   uint32 // extended
	haveSeq           bool
	lastTS            uint32
	frameIsKey        bool
	markers           uint64
	lastTickBytes     uint64
	lastTickAt        time.Time
	bitsPerSecond     int64
}

func (s *trackStats) add(p *rtp.Packet, size int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packets == 0 {
		s.first = now
		s.lastTickAt = now
	}
	s.packets++
	s.bytes += uint64(size)
	s.last = now
	// Extended sequence numbers: a step back of more than half the space is a wrap.
	seq := uint32(p.SequenceNumber)
	if !s.haveSeq {
		s.baseSeq, s.maxSeq, s.haveSeq = seq, seq, true
	} else {
		cycles := s.maxSeq &^ 0xffff
		ext := cycles | seq
		if int32(ext-s.maxSeq) < -0x8000 {
			ext += 0x10000
		} else if int32(ext-s.maxSeq) > 0x8000 {
			ext -= 0x10000
		}
		if int32(ext-s.maxSeq) > 0 {
			s.maxSeq = ext
		}
	}
	if s.packets == 1 || p.Timestamp != s.lastTS {
		s.frames++
		s.frameIsKey = false
		s.lastTS = p.Timestamp
	}
	if p.Marker {
		s.markers++
	}
	if s.kind != "video" || len(p.Payload) == 0 {
		return
	}
	var info payloadInfo
	switch strings.ToLower(s.mime) {
	case "video/h264":
		info = inspectH264(p.Payload)
	case "video/vp8":
		info = inspectVP8(p.Payload)
	}
	if info.keyframe && !s.frameIsKey {
		s.frameIsKey = true
		s.keyframes++
	}
	if info.width > 0 {
		s.width, s.height = info.width, info.height
	}
}

func (s *trackStats) lost() int64 {
	if !s.haveSeq {
		return 0
	}
	expected := int64(s.maxSeq-s.baseSeq) + 1
	if l := expected - int64(s.packets); l > 0 {
		return l
	}
	return 0
}

// tick closes a one-second window of the received bitrate.
func (s *trackStats) tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastTickAt.IsZero() {
		s.lastTickAt = now
		return
	}
	if span := now.Sub(s.lastTickAt).Seconds(); span > 0 {
		s.bitsPerSecond = int64(float64(s.bytes-s.lastTickBytes) * 8 / span)
	}
	s.lastTickBytes, s.lastTickAt = s.bytes, now
}

func (s *trackStats) snapshot() map[string]interface{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]interface{}{
		"kind": s.kind, "codec": s.mime, "payloadType": s.payloadType, "fmtp": s.fmtp, "ssrc": s.ssrc,
		"packets": s.packets, "bytes": s.bytes, "frames": s.frames, "markers": s.markers, "keyframes": s.keyframes,
		"lost": s.lost(), "bps": s.bitsPerSecond, "width": s.width, "height": s.height,
	}
	if s.packets > 1 {
		span := s.last.Sub(s.first).Seconds()
		m["seconds"] = span
		if span > 0 {
			m["avgBps"] = int64(float64(s.bytes) * 8 / span)
			m["fps"] = float64(s.frames-1) / span
		}
	}
	return m
}

// linkCounter is an interceptor counting every RTP byte that reaches one PeerConnection, media and repair (RTX
// retransmissions and probe padding) alike: what the viewer's link carried.
type linkCounter struct {
	interceptor.NoOp
	bytes *uint64
}

type linkCounterFactory struct{ bytes *uint64 }

func (f linkCounterFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &linkCounter{bytes: f.bytes}, nil
}

func (l *linkCounter) BindRemoteStream(_ *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err == nil {
			atomic.AddUint64(l.bytes, uint64(n))
		}
		return n, attr, err
	})
}
