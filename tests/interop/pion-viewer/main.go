// Command pion-viewer watches OpenVidu streams the way openvidu-browser 2.32.2 subscribes, with pion WebRTC (a
// WebRTC implementation nobody on this project wrote): WebSocket to <server>/openvidu?sessionId=…, ping with its
// interval, joinRoom with the token URL, then per stream receiveVideoFrom with its own recvonly offer, its candidates
// trickled with onIceCandidate, pings every 5 s.
//
// It prints JSON lines on stdout: "joined", "track" (codec, payload type and fmtp negotiated), "subscribed", "ice",
// one "stats" line per track each second (cumulative packets, bytes, frames, keyframes, lost; bps over the last
// second; linkBps: every RTP byte of the PeerConnection, RTX and padding included), "summary" lines at the end, and
// "error" for a failure (JSON-RPC error, failed SetRemoteDescription, ICE failure, closed socket), after which it
// exits with status 1. Diagnostics go to stderr.
//
//	pion-viewer --token 'ws://127.0.0.1:4443?sessionId=s&token=tok_…' [--token …] [--viewers N] [--duration 10s]
//	            [--stream str_IPC_…] [--remb 400000] [--server http://127.0.0.1:4443 --secret MY_SECRET --session s]
//
// Viewers without a --token of their own get one from the REST API of --server (role SUBSCRIBER in --session).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type options struct {
	server   string
	secret   string
	session  string
	tokens   []string
	streams  []string
	viewers  int
	duration time.Duration
	rembBps  int64
	printSDP bool
}

type listFlag struct{ values *[]string }

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, ",")
}

func (l listFlag) Set(v string) error {
	*l.values = append(*l.values, v)
	return nil
}

var out = struct {
	sync.Mutex
	enc *json.Encoder
}{enc: json.NewEncoder(os.Stdout)}

// emit prints one JSON line (lines from all viewers are serialized).
func emit(line map[string]interface{}) {
	out.Lock()
	defer out.Unlock()
	_ = out.enc.Encode(line)
}

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pion-viewer: "+format+"\n", args...)
}

func main() {
	o := &options{}
	flag.StringVar(&o.server, "server", "", "server URL (http[s]://host:port): the WebSocket's host, and the REST API for tokens")
	flag.StringVar(&o.secret, "secret", "MY_SECRET", "OPENVIDU_SECRET, to ask the REST API for tokens")
	flag.StringVar(&o.session, "session", "", "session id, to ask the REST API for tokens")
	flag.Var(listFlag{&o.tokens}, "token", "a token URL (once per viewer; repeat the flag)")
	flag.Var(listFlag{&o.streams}, "stream", "a stream id to watch (repeatable; default: every IP camera stream)")
	flag.IntVar(&o.viewers, "viewers", 0, "number of viewers, each with its own WebSocket and PeerConnections (default: one per token)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to watch")
	flag.Int64Var(&o.rembBps, "remb", 0, "send RTCP REMB with this ceiling (b/s) about once a second for each video SSRC")
	flag.BoolVar(&o.printSDP, "print-sdp", false, "print the offer and answer SDP")
	flag.Parse()
	if o.viewers == 0 {
		o.viewers = len(o.tokens)
	}
	if o.viewers == 0 {
		fmt.Fprintln(os.Stderr, "usage: pion-viewer --token <token URL> [--viewers N] [--duration 10s] [--remb bps] (see the source's header)")
		os.Exit(2)
	}
	for len(o.tokens) < o.viewers {
		if o.server == "" || o.session == "" {
			fmt.Fprintf(os.Stderr, "pion-viewer: %d viewers but %d tokens: give --token for each, or --server and --session to ask for them\n", o.viewers, len(o.tokens))
			os.Exit(2)
		}
		token, err := newToken(o)
		if err != nil {
			emit(map[string]interface{}{"type": "error", "message": err.Error()})
			os.Exit(1)
		}
		o.tokens = append(o.tokens, token)
	}

	start := time.Now()
	viewers := make([]*viewer, o.viewers)
	for i := range viewers {
		viewers[i] = newViewer(i, o, o.tokens[i])
		go viewers[i].run()
	}
	deadline := time.After(o.duration)
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	allFailed := make(chan struct{})
	go func() {
		for _, v := range viewers {
			<-v.finished
		}
		close(allFailed)
	}()
loop:
	for {
		select {
		case <-deadline:
			break loop
		case <-allFailed:
			break loop
		case now := <-ticker.C:
			for _, v := range viewers {
				v.report("stats", now.Sub(start), now)
			}
		}
	}
	now := time.Now()
	status := 0
	for _, v := range viewers {
		v.mu.Lock()
		failed := v.failed
		v.mu.Unlock()
		if failed != nil {
			status = 1
		}
		v.report("summary", now.Sub(start), now)
	}
	var wg sync.WaitGroup
	for _, v := range viewers {
		wg.Add(1)
		go func(v *viewer) {
			defer wg.Done()
			v.leave()
		}(v)
	}
	wg.Wait()
	emit(map[string]interface{}{"type": "done", "ok": status == 0, "seconds": time.Since(start).Seconds()})
	os.Exit(status)
}

// newToken asks the REST API for a SUBSCRIBER connection in the session, as a backend with openvidu-node-client would.
func newToken(o *options) (string, error) {
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(o.server, "/")+"/openvidu/api/sessions/"+o.session+"/connection", bytes.NewBufferString(`{"role":"SUBSCRIBER"}`))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth("OPENVIDUAPP", o.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("asking for a token: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("asking for a token: HTTP %d: %.300s", resp.StatusCode, body)
	}
	var c struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(body, &c) != nil || c.Token == "" {
		return "", fmt.Errorf("asking for a token: no token in %.300s", body)
	}
	return c.Token, nil
}
