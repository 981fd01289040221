//go:build linux || darwin || freebsd || netbsd || openbsd

package mllp

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// hasPendingInput reports whether bytes or an end of stream are waiting
// unread on the socket under nc. A pooled connection is idle: the server
// owes it nothing, so anything waiting means it is closing (FIN, a TLS
// close_notify) or out of step, and reusing it would turn a clean
// "reconnect before writing" into "failed after writing". The connection's
// reader goroutine would notice too, but only once scheduled; the kernel
// knows now.
func hasPendingInput(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	pending := false
	var b [1]byte
	// Control does not take the read lock held by the blocked reader
	// goroutine, and MSG_PEEK leaves the data for it.
	_ = rc.Control(func(fd uintptr) {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			pending = true // data, or 0 bytes: the peer shut down
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EINTR):
		default:
			pending = true // reset and other errors: the connection is gone
		}
	})
	return pending
}
