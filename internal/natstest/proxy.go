package natstest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
)

// Proxy forwards TCP connections on a fixed loopback address to the first
// of its targets that answers. Stop closes the listener and every
// connection through it, as a cut cable would; Start listens again on the
// same address, and the leaf node reconnects by itself.
type Proxy struct {
	addr    string
	targets []string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	// held, while Hold lasts, is closed by Release or Stop.
	held chan struct{}
	wg   sync.WaitGroup
}

// NewProxy starts a proxy to targets (host:port or URLs such as
// nats-leaf://127.0.0.1:7422) on a free loopback port.
func NewProxy(targets []string) (*Proxy, error) {
	p := &Proxy{conns: map[net.Conn]struct{}{}}
	for _, t := range targets {
		if u, err := url.Parse(t); err == nil && u.Host != "" {
			t = u.Host
		}
		p.targets = append(p.targets, t)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p.addr = fmt.Sprintf("127.0.0.1:%d", port)
	return p, p.Start()
}

// URL is the leaf-node URL a remote points at to go through the proxy.
func (p *Proxy) URL() string { return "nats-leaf://" + p.addr }

// ClientURL is the URL a NATS client connects to through the proxy.
func (p *Proxy) ClientURL() string { return "nats://" + p.addr }

// Start listens again after Stop.
func (p *Proxy) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("proxy on %s: %w", p.addr, err)
	}
	p.ln = ln
	p.wg.Add(1)
	go p.accept(ln)
	return nil
}

// Hold stops passing on what clients send (their requests, their
// acknowledgements) while still passing on what the servers send: a link
// failing one way. Release passes the held bytes on; Stop drops them.
func (p *Proxy) Hold() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held == nil {
		p.held = make(chan struct{})
	}
}

// Release ends Hold.
func (p *Proxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.release()
}

func (p *Proxy) release() {
	if p.held != nil {
		close(p.held)
		p.held = nil
	}
}

// Stop closes the listener and cuts every connection, dropping what Hold
// held.
func (p *Proxy) Stop() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		c.Close()
	}
	p.release() // after the close: the held bytes find their connection gone
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	p.wg.Wait()
}

func (p *Proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := p.dial()
		if err != nil {
			in.Close()
			continue
		}
		if !p.track(in, out) {
			return
		}
		p.wg.Add(2)
		go p.pipe(in, out, false)
		go p.pipe(out, in, true)
	}
}

func (p *Proxy) dial() (net.Conn, error) {
	var errs error
	for _, t := range p.targets {
		c, err := net.Dial("tcp", t)
		if err == nil {
			return c, nil
		}
		errs = errors.Join(errs, err)
	}
	return nil, errs
}

// track records a connection pair unless Stop came first.
func (p *Proxy) track(in, out net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		in.Close()
		out.Close()
		return false
	}
	p.conns[in], p.conns[out] = struct{}{}, struct{}{}
	return true
}

// pipe copies src to dst; upstream (from the client) stops while held.
func (p *Proxy) pipe(dst, src net.Conn, upstream bool) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if upstream {
				p.mu.Lock()
				held := p.held
				p.mu.Unlock()
				if held != nil {
					<-held
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}
