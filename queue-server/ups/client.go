// Package ups reads the server's uninterruptible power supply through
// Network UPS Tools: a client of upsd's network protocol (TCP, port 3493 by
// default; networkupstools.org/docs/developer-guide.chunked/net-protocol.html)
// and a Monitor that polls it and says when the power changes.
//
// Only the read-only part of the protocol is spoken: GET VAR of
// ups.status, battery.charge and battery.runtime. Anything upsd answers
// that is not what the protocol promises is an error, never a panic: the
// monitor turns it into a log line and a "UPS unreachable" state.
package ups

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultPort is upsd's port.
const DefaultPort = 3493

// Addr names a UPS as upsc does: NAME@HOST[:PORT].
type Addr struct {
	UPS  string
	Host string // with the port
}

func (a Addr) String() string { return a.UPS + "@" + a.Host }

// ParseAddr reads NAME@HOST[:PORT]; the port defaults to DefaultPort.
func ParseAddr(s string) (Addr, error) {
	name, host, ok := strings.Cut(s, "@")
	if !ok || name == "" || host == "" || strings.ContainsAny(name, " \t\"") {
		return Addr{}, fmt.Errorf("ИБП %q: нужно имя вида ИМЯ@ХОСТ[:ПОРТ], например myups@localhost", s)
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(DefaultPort))
	}
	if _, port, err := net.SplitHostPort(host); err != nil || port == "" {
		return Addr{}, fmt.Errorf("ИБП %q: неверный адрес upsd", s)
	}
	return Addr{UPS: name, Host: host}, nil
}

// ErrProtocol marks an answer upsd should not have given.
var ErrProtocol = errors.New("upsd answered outside the protocol")

// Error is an ERR answer of upsd, e.g. UNKNOWN-UPS or DATA-STALE.
type Error struct {
	Code string
}

func (e *Error) Error() string { return "upsd: ERR " + e.Code }

// maxLine bounds one answer line: upsd's are well under a kilobyte, and a
// peer that is not upsd must not make the client buffer without end.
const maxLine = 4096

// Client is one connection to upsd. It is not safe for concurrent use.
type Client struct {
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration
	unbind  func() bool // stops ctx from closing the connection
}

// Dial connects to upsd; timeout bounds the connection and every later
// request. The connection lives no longer than ctx: when it ends, a
// request under way fails at once instead of waiting out its timeout.
func Dial(ctx context.Context, host string, timeout time.Duration) (*Client, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("connect to upsd at %s: %w", host, err)
	}
	c := &Client{conn: conn, r: bufio.NewReaderSize(conn, maxLine), timeout: timeout}
	c.unbind = context.AfterFunc(ctx, func() { conn.Close() })
	return c, nil
}

// Close says LOGOUT, without waiting for the answer, and closes the
// connection.
func (c *Client) Close() error {
	c.unbind()
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	_, _ = c.conn.Write([]byte("LOGOUT\n"))
	return c.conn.Close()
}

// Get reads one variable of a UPS.
func (c *Client) Get(ups, name string) (string, error) {
	if err := c.conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return "", err
	}
	if _, err := fmt.Fprintf(c.conn, "GET VAR %s %s\n", ups, name); err != nil {
		return "", fmt.Errorf("ask upsd for %s: %w", name, err)
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("%w: a line longer than %d bytes", ErrProtocol, maxLine)
		}
		return "", fmt.Errorf("read upsd's answer for %s: %w", name, err)
	}
	return parseVar(strings.TrimRight(string(line), "\r\n"), ups, name)
}

// parseVar reads the answer to GET VAR: VAR <ups> <name> "<value>", or
// ERR <code>.
func parseVar(line, ups, name string) (string, error) {
	if code, ok := strings.CutPrefix(line, "ERR "); ok {
		code, _, _ = strings.Cut(code, " ")
		return "", &Error{Code: code}
	}
	rest, ok := strings.CutPrefix(line, "VAR "+ups+" "+name+" ")
	if !ok {
		return "", fmt.Errorf("%w: %q to GET VAR %s %s", ErrProtocol, line, ups, name)
	}
	v, err := unquote(rest)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %v", ErrProtocol, line, err)
	}
	return v, nil
}

// unquote reads a "..." word in which \" and \\ stand for themselves.
func unquote(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", errors.New("the value is not quoted")
	}
	var b strings.Builder
	s = s[1 : len(s)-1]
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
			if i == len(s) {
				return "", errors.New("the value ends in a backslash")
			}
			b.WriteByte(s[i])
		case '"':
			return "", errors.New("a quote inside the value")
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}
