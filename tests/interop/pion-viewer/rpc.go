package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// rpcError is a JSON-RPC error object as OpenVidu sends it ({code, message[, data]}).
type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

type rpcReply struct {
	result json.RawMessage
	err    error
}

// rpcRequest is one client frame, keys in the order openvidu-browser's kurento-jsonrpc packer writes them. Params is
// omitted when nil: openvidu-browser's pings after the first carry no params key.
type rpcRequest struct {
	JSONRPC string      `json:"jsonrpc"`
	Method  string      `json:"method"`
	Params  interface{} `json:"params,omitempty"`
	ID      int         `json:"id"`
}

// rpcFrame is any server frame: a reply (id with result or error) or a notification (method, no id).
type rpcFrame struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      *int            `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   *rpcError       `json:"error"`
}

// rpcClient is openvidu-browser's JSON-RPC client over one WebSocket: integer ids from 0 (pings use ids too),
// replies matched by id, notifications handed to onNotify on the reading goroutine.
type rpcClient struct {
	conn     *websocket.Conn
	writeMu  sync.Mutex
	mu       sync.Mutex
	nextID   int
	pending  map[int]chan rpcReply
	onNotify func(method string, params json.RawMessage)
	done     chan struct{}
	closeErr error
}

func dialRPC(url string, onNotify func(string, json.RawMessage)) (*rpcClient, error) {
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := dialer.Dial(url, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("WebSocket %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("WebSocket %s: %w", url, err)
	}
	c := &rpcClient{conn: conn, pending: map[int]chan rpcReply{}, onNotify: onNotify, done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *rpcClient) read() {
	var err error
	for {
		var data []byte
		if _, data, err = c.conn.ReadMessage(); err != nil {
			break
		}
		var f rpcFrame
		if json.Unmarshal(data, &f) != nil || f.JSONRPC != "2.0" {
			logf("ignoring a frame that is not JSON-RPC 2.0: %.200s", data)
			continue
		}
		if f.ID == nil {
			if f.Method != "" && c.onNotify != nil {
				c.onNotify(f.Method, f.Params)
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[*f.ID]
		delete(c.pending, *f.ID)
		c.mu.Unlock()
		if ch == nil {
			logf("reply for an unknown id %d: %.200s", *f.ID, data)
			continue
		}
		switch {
		case f.Error != nil && f.Result == nil:
			ch <- rpcReply{err: f.Error}
		case f.Error == nil && f.Result != nil:
			ch <- rpcReply{result: f.Result}
		default:
			ch <- rpcReply{err: fmt.Errorf("reply %d has both or neither of result and error: %.200s", *f.ID, data)}
		}
	}
	c.mu.Lock()
	c.closeErr = err
	for id, ch := range c.pending {
		ch <- rpcReply{err: fmt.Errorf("WebSocket closed before the reply: %v", err)}
		delete(c.pending, id)
	}
	c.mu.Unlock()
	close(c.done)
}

// call sends a request and waits for its reply (openvidu-browser's timeouts: 10 s, 5 s for ping).
func (c *rpcClient) call(method string, params interface{}, timeout time.Duration) (json.RawMessage, error) {
	ch := make(chan rpcReply, 1)
	c.mu.Lock()
	if c.closeErr != nil || isClosed(c.done) {
		c.mu.Unlock()
		return nil, errors.New("WebSocket closed")
	}
	id := c.nextID
	c.nextID++
	c.pending[id] = ch
	c.mu.Unlock()
	frame, err := json.Marshal(rpcRequest{JSONRPC: "2.0", Method: method, Params: params, ID: id})
	if err != nil {
		return nil, err
	}
	c.writeMu.Lock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	err = c.conn.WriteMessage(websocket.TextMessage, frame)
	c.writeMu.Unlock()
	if err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", method, r.err)
		}
		return r.result, nil
	case <-time.After(timeout):
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return nil, fmt.Errorf("%s: request has timed out after %v", method, timeout)
	}
}

// close ends the socket with openvidu-browser's normal-disconnect code (4102).
func (c *rpcClient) close() {
	c.writeMu.Lock()
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4102, "Connection closed by client"), time.Now().Add(time.Second))
	c.writeMu.Unlock()
	_ = c.conn.Close()
	<-c.done
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
