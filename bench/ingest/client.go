package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// rawClient is a minimal HTTP/1.1 keep-alive client, in the manner of wrk:
// it writes a pre-rendered request head and parses only what it needs of
// the response (status, Content-Length or chunked). net/http's client
// costs several times the server's work per request, and on a 2-core
// machine the load generator's CPU is taken from the system under test.
type rawClient struct {
	conn net.Conn
	br   *bufio.Reader
	head []byte // request line and headers up to "Content-Length: "
	buf  []byte
}

func dialRaw(url, path, token string) (*rawClient, error) {
	host := strings.TrimPrefix(url, "http://")
	c, err := net.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	head := "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + token +
		"\r\nContent-Type: application/json\r\nContent-Length: "
	return &rawClient{conn: c, br: bufio.NewReaderSize(c, 64<<10), head: []byte(head)}, nil
}

func (rc *rawClient) Close() error { return rc.conn.Close() }

// post sends body and returns the response status; the body is discarded.
func (rc *rawClient) post(body []byte) (int, error) {
	b := append(rc.buf[:0], rc.head...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	rc.buf = b
	if _, err := rc.conn.Write(b); err != nil {
		return 0, err
	}
	line, err := rc.br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, err
	}
	length, chunked := -1, false
	for {
		h, err := rc.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		k, v, _ := bytes.Cut(bytes.TrimRight(h, "\r\n"), []byte(":"))
		switch strings.ToLower(string(k)) {
		case "content-length":
			length, _ = strconv.Atoi(strings.TrimSpace(string(v)))
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(string(v)), "chunked")
		}
	}
	switch {
	case chunked:
		for {
			l, err := rc.br.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			n, err := strconv.ParseInt(strings.TrimSpace(string(l)), 16, 64)
			if err != nil {
				return 0, err
			}
			if _, err := rc.br.Discard(int(n) + 2); err != nil {
				return 0, err
			}
			if n == 0 {
				return status, nil
			}
		}
	case length >= 0:
		_, err = rc.br.Discard(length)
		return status, err
	}
	return 0, errors.New("response without length")
}
