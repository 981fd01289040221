//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package mllp

import "net"

// hasPendingInput cannot peek at the socket on this platform; the reader
// goroutine's view (Client.conn checks it) is all there is.
func hasPendingInput(net.Conn) bool { return false }
