package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"
)

const (
	requestTimeout = 10 * time.Second // openvidu-browser's JSON-RPC request timeout
	pingTimeout    = 5 * time.Second
	pingInterval   = 5 * time.Second
)

// streamInfo is one published stream of the joinRoom answer or a participantPublished notification.
type streamInfo struct {
	ID          string `json:"id"`
	HasAudio    bool   `json:"hasAudio"`
	HasVideo    bool   `json:"hasVideo"`
	TypeOfVideo string `json:"typeOfVideo"`
}

type remoteConnection struct {
	ID      string       `json:"id"`
	Streams []streamInfo `json:"streams"`
}

// viewer is one openvidu-browser session: its own WebSocket, and one PeerConnection per subscribed stream.
type viewer struct {
	index    int
	opts     *options
	token    string
	rpc      *rpcClient
	connID   string
	mu       sync.Mutex
	subs     map[string]*subscription // by stream id
	failed   error
	finished chan struct{}
	once     sync.Once
}

// subscription is one receiveVideoFrom: the PeerConnection, its counters and the remote candidates that arrived
// before the answer was applied (openvidu-browser queues them the same way).
type subscription struct {
	v          *viewer
	stream     streamInfo
	publisher  string
	pc         *webrtc.PeerConnection
	mu         sync.Mutex
	tracks     []*trackStats
	answered   bool
	queued     []webrtc.ICECandidateInit
	linkBytes  uint64
	lastLink   uint64
	linkBps    int64
	lastTick   time.Time
	ice        string
	rembSent   uint64
	videoSSRC  uint32
	senderSSRC uint32
}

func newViewer(index int, o *options, token string) *viewer {
	return &viewer{index: index, opts: o, token: token, subs: map[string]*subscription{}, finished: make(chan struct{})}
}

// fail records the viewer's first error, prints it and ends the viewer.
func (v *viewer) fail(err error) {
	v.mu.Lock()
	first := v.failed == nil
	if first {
		v.failed = err
	}
	v.mu.Unlock()
	if first {
		emit(map[string]interface{}{"type": "error", "viewer": v.index, "message": err.Error()})
	}
	v.once.Do(func() { close(v.finished) })
}

// webSocketURL is what openvidu-browser opens: the token's scheme and host, the fixed path /openvidu and the
// session id (the token itself travels in joinRoom). --server replaces the token's scheme and host.
func webSocketURL(token, server string) (string, error) {
	u, err := url.Parse(token)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return "", fmt.Errorf("token not valid: %q", token)
	}
	sessionID := u.Query().Get("sessionId")
	if sessionID == "" {
		return "", fmt.Errorf("token has no sessionId: %q", token)
	}
	scheme, host := u.Scheme, u.Host
	if server != "" {
		s, err := url.Parse(server)
		if err != nil || s.Host == "" {
			return "", fmt.Errorf("server URL not valid: %q", server)
		}
		host = s.Host
		scheme = map[string]string{"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}[s.Scheme]
		if scheme == "" {
			return "", fmt.Errorf("server URL not valid: %q", server)
		}
	}
	return fmt.Sprintf("%s://%s/openvidu?sessionId=%s", scheme, host, url.QueryEscape(sessionID)), nil
}

func (v *viewer) run() {
	wsURL, err := webSocketURL(v.token, v.opts.server)
	if err != nil {
		v.fail(err)
		return
	}
	sessionID := ""
	if u, err := url.Parse(v.token); err == nil {
		sessionID = u.Query().Get("sessionId")
	}
	v.rpc, err = dialRPC(wsURL, v.onNotification)
	if err != nil {
		v.fail(err)
		return
	}
	go func() {
		<-v.rpc.done
		if !isClosed(v.finished) {
			v.fail(fmt.Errorf("the server closed the WebSocket: %v", v.rpc.closeErr))
		}
	}()
	// First ping with the interval (it arms the server's watchdog; id 0, as openvidu-browser's), then joinRoom.
	if _, err := v.rpc.call("ping", map[string]int{"interval": int(pingInterval / time.Millisecond)}, pingTimeout); err != nil {
		v.fail(err)
		return
	}
	go v.pings()
	result, err := v.rpc.call("joinRoom", map[string]interface{}{
		"token": v.token, "session": sessionID, "platform": "Pion WebRTC 3 (Go) on Linux", "sdkVersion": "2.32.2",
		"metadata": "", "secret": "", "recorder": false, "stt": false,
	}, requestTimeout)
	if err != nil {
		v.fail(err)
		return
	}
	var joined struct {
		ID          string             `json:"id"`
		Session     string             `json:"session"`
		MediaServer string             `json:"mediaServer"`
		Value       []remoteConnection `json:"value"`
	}
	if err := json.Unmarshal(result, &joined); err != nil || joined.ID == "" {
		v.fail(fmt.Errorf("joinRoom: unexpected result %.300s", result))
		return
	}
	v.connID = joined.ID
	if joined.MediaServer == "mediasoup" {
		v.fail(errors.New("joinRoom answered mediaServer \"mediasoup\" (server-offers flow): this viewer offers, as openvidu-browser does with Kurento"))
		return
	}
	emit(map[string]interface{}{"type": "joined", "viewer": v.index, "connectionId": joined.ID, "session": joined.Session, "participants": len(joined.Value)})
	for _, c := range joined.Value {
		for _, s := range c.Streams {
			v.maybeSubscribe(c.ID, s)
		}
	}
	v.mu.Lock()
	none := len(v.subs) == 0
	v.mu.Unlock()
	if none && len(v.opts.streams) == 0 {
		emit(map[string]interface{}{"type": "waiting", "viewer": v.index, "message": "no camera stream in the session yet"})
	}
}

// pings goes on every 5 s after the first, without params (as openvidu-browser's later pings).
func (v *viewer) pings() {
	for {
		select {
		case <-v.finished:
			return
		case <-time.After(pingInterval):
		}
		if _, err := v.rpc.call("ping", nil, pingTimeout); err != nil {
			if !isClosed(v.finished) {
				v.fail(err)
			}
			return
		}
	}
}

// maybeSubscribe subscribes to a stream the options ask for: the named ones, else every IP camera stream.
func (v *viewer) maybeSubscribe(publisher string, s streamInfo) {
	wanted := false
	if len(v.opts.streams) > 0 {
		for _, id := range v.opts.streams {
			wanted = wanted || id == s.ID
		}
	} else {
		wanted = s.TypeOfVideo == "IPCAM"
	}
	if !wanted {
		return
	}
	v.mu.Lock()
	if _, dup := v.subs[s.ID]; dup {
		v.mu.Unlock()
		return
	}
	sub := &subscription{v: v, stream: s, publisher: publisher, senderSSRC: rand.Uint32()}
	v.subs[s.ID] = sub
	v.mu.Unlock()
	go func() {
		if err := sub.start(); err != nil {
			v.fail(fmt.Errorf("stream %s: %w", s.ID, err))
		}
	}()
}

func (v *viewer) onNotification(method string, params json.RawMessage) {
	switch method {
	case "iceCandidate":
		var c struct {
			SenderConnectionID string  `json:"senderConnectionId"`
			EndpointName       string  `json:"endpointName"`
			Candidate          string  `json:"candidate"`
			SdpMid             *string `json:"sdpMid"`
			SdpMLineIndex      *uint16 `json:"sdpMLineIndex"`
		}
		if json.Unmarshal(params, &c) != nil {
			return
		}
		// endpointName is "<own connection id>_<stream id>".
		v.mu.Lock()
		var sub *subscription
		for id, s := range v.subs {
			if strings.HasSuffix(c.EndpointName, "_"+id) {
				sub = s
			}
		}
		v.mu.Unlock()
		if sub != nil {
			sub.addRemoteCandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SdpMid, SDPMLineIndex: c.SdpMLineIndex})
		}
	case "participantPublished":
		var c remoteConnection
		if json.Unmarshal(params, &c) == nil {
			for _, s := range c.Streams {
				v.maybeSubscribe(c.ID, s)
			}
		}
	case "participantUnpublished", "participantLeft":
		var c struct {
			ConnectionID string `json:"connectionId"`
			Reason       string `json:"reason"`
		}
		if json.Unmarshal(params, &c) == nil {
			emit(map[string]interface{}{"type": "notification", "viewer": v.index, "method": method, "connectionId": c.ConnectionID, "reason": c.Reason})
		}
	case "participantEvicted":
		var c struct {
			ConnectionID string `json:"connectionId"`
			Reason       string `json:"reason"`
		}
		if json.Unmarshal(params, &c) == nil && c.ConnectionID == v.connID {
			v.fail(fmt.Errorf("evicted from the session: %s", c.Reason))
		}
	}
}

// start builds the PeerConnection as openvidu-browser's WebRtcPeerRecvonly does (a recvonly audio transceiver if the
// stream has audio, then a video one), with pion's default codecs and interceptors (NACK generator, receiver
// reports, transport-wide feedback), offers, and applies the answer of receiveVideoFrom.
func (s *subscription) start() error {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return err
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, registry); err != nil {
		return err
	}
	registry.Add(linkCounterFactory{bytes: &s.linkBytes})
	settings := webrtc.SettingEngine{}
	// The server's only candidate may be 127.0.0.1: pion leaves loopback out unless told.
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(registry), webrtc.WithSettingEngine(settings))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.pc = pc
	s.ice = "new"
	s.mu.Unlock()
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return // end of gathering: openvidu-browser sends nothing for it
		}
		init := c.ToJSON()
		mid := "0"
		index := uint16(0)
		if init.SDPMid != nil && *init.SDPMid != "" {
			mid = *init.SDPMid
		}
		if init.SDPMLineIndex != nil {
			index = *init.SDPMLineIndex
		}
		go func() {
			_, err := s.v.rpc.call("onIceCandidate", map[string]interface{}{
				"endpointName": s.publisher, "candidate": init.Candidate, "sdpMid": mid, "sdpMLineIndex": index,
			}, requestTimeout)
			if err != nil && !isClosed(s.v.finished) {
				s.v.fail(err)
			}
		}()
	})
	pc.OnICEConnectionStateChange(func(state webrtc.ICEConnectionState) {
		s.mu.Lock()
		s.ice = state.String()
		s.mu.Unlock()
		emit(map[string]interface{}{"type": "ice", "viewer": s.v.index, "stream": s.stream.ID, "state": state.String()})
		if state == webrtc.ICEConnectionStateFailed {
			s.v.fail(fmt.Errorf("stream %s: ICE failed", s.stream.ID))
		}
	})
	pc.OnTrack(s.onTrack)
	recvonly := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
	if s.stream.HasAudio {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, recvonly); err != nil {
			return err
		}
	}
	if s.stream.HasVideo {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, recvonly); err != nil {
			return err
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("CreateOffer: %w", err)
	}
	if err := pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("SetLocalDescription: %w", err)
	}
	if s.v.opts.printSDP {
		emit(map[string]interface{}{"type": "offer", "viewer": s.v.index, "stream": s.stream.ID, "sdp": offer.SDP})
	}
	result, err := s.v.rpc.call("receiveVideoFrom", map[string]interface{}{"sender": s.stream.ID, "sdpOffer": offer.SDP}, requestTimeout)
	if err != nil {
		return err
	}
	var answer struct {
		SdpAnswer string `json:"sdpAnswer"`
	}
	if json.Unmarshal(result, &answer) != nil || answer.SdpAnswer == "" {
		return fmt.Errorf("receiveVideoFrom: no sdpAnswer in %.300s", result)
	}
	if s.v.opts.printSDP {
		emit(map[string]interface{}{"type": "answer", "viewer": s.v.index, "stream": s.stream.ID, "sdp": answer.SdpAnswer})
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer.SdpAnswer}); err != nil {
		return fmt.Errorf("SetRemoteDescription: %w", err)
	}
	s.mu.Lock()
	s.answered = true
	queued := s.queued
	s.queued = nil
	s.mu.Unlock()
	for _, c := range queued {
		s.applyCandidate(c)
	}
	emit(map[string]interface{}{"type": "subscribed", "viewer": s.v.index, "stream": s.stream.ID, "publisher": s.publisher})
	if s.v.opts.rembBps > 0 {
		go s.sendRemb()
	}
	return nil
}

func (s *subscription) addRemoteCandidate(c webrtc.ICECandidateInit) {
	s.mu.Lock()
	if !s.answered {
		s.queued = append(s.queued, c)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.applyCandidate(c)
}

func (s *subscription) applyCandidate(c webrtc.ICECandidateInit) {
	if err := s.pc.AddICECandidate(c); err != nil {
		logf("viewer %d: remote candidate %q not taken: %v", s.v.index, c.Candidate, err)
	}
}

func (s *subscription) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	codec := track.Codec()
	st := &trackStats{kind: track.Kind().String(), mime: codec.MimeType, fmtp: codec.SDPFmtpLine, payloadType: uint8(codec.PayloadType), ssrc: uint32(track.SSRC())}
	if st.mime == "" {
		// pion 3.1 leaves the codec of payload type 0 (PCMU) unset on the track: read it from the answer.
		if d := s.pc.RemoteDescription(); d != nil {
			st.mime = rtpmapName(d.SDP, st.kind, st.payloadType)
		}
	}
	s.mu.Lock()
	s.tracks = append(s.tracks, st)
	if track.Kind() == webrtc.RTPCodecTypeVideo {
		s.videoSSRC = uint32(track.SSRC())
	}
	s.mu.Unlock()
	emit(map[string]interface{}{"type": "track", "viewer": s.v.index, "stream": s.stream.ID, "kind": st.kind, "codec": st.mime, "payloadType": st.payloadType, "fmtp": st.fmtp, "ssrc": st.ssrc})
	// Sender reports go through the interceptors (receiver reports need them) only when RTCP is read.
	go func() {
		for {
			if _, _, err := receiver.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	for {
		p, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		st.add(p, p.MarshalSize(), time.Now())
	}
}

// sendRemb announces the ceiling about once a second for the video SSRC (draft-alvestrand-rmcat-remb), while pion's
// interceptor goes on sending transport-wide feedback.
func (s *subscription) sendRemb() {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-s.v.finished:
			return
		case <-ticker.C:
		}
		s.mu.Lock()
		ssrc := s.videoSSRC
		s.mu.Unlock()
		if ssrc == 0 {
			continue
		}
		err := s.pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{SenderSSRC: s.senderSSRC, Bitrate: float32(s.v.opts.rembBps), SSRCs: []uint32{ssrc}}})
		if err == nil {
			atomic.AddUint64(&s.rembSent, 1)
		}
	}
}

// report prints one line per track (type "stats" each second, "summary" at the end).
func (s *subscription) report(kind string, elapsed time.Duration, now time.Time) {
	s.mu.Lock()
	link := atomic.LoadUint64(&s.linkBytes)
	if !s.lastTick.IsZero() {
		if span := now.Sub(s.lastTick).Seconds(); span > 0 {
			s.linkBps = int64(float64(link-s.lastLink) * 8 / span)
		}
	}
	s.lastLink, s.lastTick = link, now
	tracks := append([]*trackStats(nil), s.tracks...)
	ice, linkBps := s.ice, s.linkBps
	s.mu.Unlock()
	for _, t := range tracks {
		if kind == "stats" {
			t.tick(now)
		}
		line := t.snapshot()
		line["type"] = kind
		line["viewer"] = s.v.index
		line["stream"] = s.stream.ID
		line["t"] = elapsed.Seconds()
		line["ice"] = ice
		line["linkBytes"] = link
		line["linkBps"] = linkBps
		line["rembSent"] = atomic.LoadUint64(&s.rembSent)
		emit(line)
	}
}

func (v *viewer) report(kind string, elapsed time.Duration, now time.Time) {
	v.mu.Lock()
	subs := make([]*subscription, 0, len(v.subs))
	for _, s := range v.subs {
		subs = append(subs, s)
	}
	v.mu.Unlock()
	for _, s := range subs {
		s.report(kind, elapsed, now)
	}
}

// leave ends the session as openvidu-browser's disconnect() does: leaveRoom, then the socket closes (4102).
func (v *viewer) leave() {
	v.once.Do(func() { close(v.finished) })
	if v.rpc != nil && !isClosed(v.rpc.done) {
		if _, err := v.rpc.call("leaveRoom", map[string]interface{}{}, requestTimeout); err != nil {
			logf("viewer %d: leaveRoom: %v", v.index, err)
		}
		v.rpc.close()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, s := range v.subs {
		s.mu.Lock()
		pc := s.pc
		s.mu.Unlock()
		if pc != nil {
			_ = pc.Close()
		}
	}
}

// rtpmapName finds "kind/encoding" for a payload type in the a=rtpmap lines of the m-sections of one kind.
func rtpmapName(sdp, kind string, pt uint8) string {
	inKind := false
	prefix := fmt.Sprintf("a=rtpmap:%d ", pt)
	for _, line := range strings.Split(sdp, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, "m=") {
			inKind = strings.HasPrefix(line, "m="+kind+" ") && !strings.HasPrefix(line, "m="+kind+" 0 ")
		} else if inKind && strings.HasPrefix(line, prefix) {
			return kind + "/" + strings.SplitN(strings.TrimPrefix(line, prefix), "/", 2)[0]
		}
	}
	return ""
}
