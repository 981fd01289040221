package mllp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The MLLP framing bytes.
const (
	StartBlock     byte = 0x0B // vertical tab: starts a frame
	EndBlock       byte = 0x1C // file separator: ends a frame
	CarriageReturn byte = 0x0D // follows EndBlock
)

// DefaultMaxMessageSize is the frame size limit used when none is
// configured. Results can embed PDFs in OBX-5, so it is generous.
const DefaultMaxMessageSize = 16 << 20

// headSize is how much of an oversized frame is kept so that its MSH can be
// read for the reject ACK.
const headSize = 4096

// Sentinel errors.
var (
	// ErrFrameTooLarge is matched by *FrameTooLargeError.
	ErrFrameTooLarge = errors.New("mllp: frame too large")
	// ErrTimeout is returned by Client.Send when no ACK arrived in time.
	ErrTimeout = errors.New("mllp: timeout waiting for ACK")
	// ErrClosed is returned by a Client or Server that has been closed or
	// shut down.
	ErrClosed = errors.New("mllp: closed")
	// ErrInvalidMessage is returned for a message that cannot be framed
	// because it contains a start or end block byte.
	ErrInvalidMessage = errors.New("mllp: message contains MLLP framing bytes")
	// ErrIncompleteFrame is returned (wrapped with io.ErrUnexpectedEOF) when
	// the stream ends inside a frame.
	ErrIncompleteFrame = errors.New("mllp: connection ended inside a frame")
)

// FrameTooLargeError reports a frame longer than the limit. The Reader has
// skipped the rest of it and is positioned at the next frame.
type FrameTooLargeError struct {
	Limit int // the configured maximum
	// Size is the number of content bytes seen before the frame ended or
	// was abandoned by a new start block.
	Size int
	// Head is the start of the frame (up to 4 KiB), enough to read the MSH
	// and answer with a reject. It contains message content: never log it.
	Head []byte
}

func (e *FrameTooLargeError) Error() string {
	return "mllp: frame of " + strconv.Itoa(e.Size) + " bytes exceeds the limit of " + strconv.Itoa(e.Limit) + " bytes"
}

// Is makes errors.Is(err, ErrFrameTooLarge) true.
func (e *FrameTooLargeError) Is(target error) bool { return target == ErrFrameTooLarge }

// Reader reads MLLP frames from a stream. Bytes between frames (CR, LF,
// the 0x0D after an end block, or junk) are skipped. A start block inside a
// frame means the sender abandoned that frame: reading restarts there. A
// lone end block ends a frame, since waiting for the 0x0D that should
// follow would deadlock against a peer that never sends it.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	rd   io.Reader
	max  int
	buf  []byte
	r, w int // unread data is buf[r:w]
	err  error

	// onStart is called when a frame's start block has been read; the
	// server uses it to switch from the idle to the read deadline.
	onStart func()
}

const (
	initialBuffer = 4096
	// A buffer grown for a large frame is dropped once it is this much
	// bigger than what is pending, so one big message does not pin memory
	// for the life of the connection.
	shrinkAbove = 64 << 10
)

// NewReader returns a Reader of r that accepts frames of at most maxSize
// content bytes; maxSize <= 0 means DefaultMaxMessageSize.
func NewReader(r io.Reader, maxSize int) *Reader {
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	return &Reader{rd: r, max: maxSize}
}

// ReadFrame returns the content of the next frame, without framing bytes.
// The slice is valid until the next call; copy it to keep it.
//
// Errors: io.EOF when the stream ends between frames; an error wrapping
// io.ErrUnexpectedEOF and ErrIncompleteFrame when it ends inside one; a
// *FrameTooLargeError for an oversized frame, after which the Reader can be
// used again; otherwise the underlying read error, after which it cannot.
func (r *Reader) ReadFrame() ([]byte, error) {
	r.maybeShrink()
	for {
		frame, err := r.readFrame()
		if errors.Is(err, errAbandoned) {
			continue
		}
		return frame, err
	}
}

// errAbandoned reports an oversized frame that the sender abandoned by
// starting a new one: like any abandoned frame it is dropped silently, so
// the outcome does not depend on how the bytes were split across reads.
var errAbandoned = errors.New("abandoned frame")

func (r *Reader) readFrame() ([]byte, error) {
	// Find the start block, discarding whatever precedes it.
	for {
		if i := bytes.IndexByte(r.buf[r.r:r.w], StartBlock); i >= 0 {
			r.r += i + 1
			break
		}
		r.r, r.w = 0, 0
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
	if r.onStart != nil {
		r.onStart()
	}
	start, scanned := r.r, r.r
	for {
		if i := bytes.IndexByte(r.buf[scanned:r.w], EndBlock); i >= 0 {
			end := scanned + i
			frame := r.buf[start:end]
			if k := bytes.LastIndexByte(frame, StartBlock); k >= 0 {
				frame = frame[k+1:]
			}
			r.r = end + 1
			if len(frame) > r.max { // it arrived within one read
				return nil, &FrameTooLargeError{Limit: r.max, Size: len(frame), Head: bytes.Clone(frame[:min(headSize, r.max)])}
			}
			return frame, nil
		}
		if k := bytes.LastIndexByte(r.buf[scanned:r.w], StartBlock); k >= 0 {
			start = scanned + k + 1 // the sender restarted the frame
		}
		scanned = r.w
		if r.w-start > r.max {
			return nil, r.skipOversized(start)
		}
		// Make room: move the partial frame to the front, then grow.
		if r.w == len(r.buf) {
			if start > 0 {
				n := copy(r.buf, r.buf[start:r.w])
				scanned -= start
				r.w = n
				start = 0
			}
			if r.w == len(r.buf) {
				r.grow()
			}
		}
		r.r = r.w
		if err := r.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: %w", ErrIncompleteFrame, io.ErrUnexpectedEOF)
			}
			return nil, err
		}
	}
}

// skipOversized discards the rest of a frame that exceeded the limit and
// returns the error describing it. It stops at the frame's end block, or
// returns errAbandoned before a start block that begins the next frame.
func (r *Reader) skipOversized(start int) error {
	e := &FrameTooLargeError{Limit: r.max, Head: bytes.Clone(r.buf[start:min(r.w, start+min(headSize, r.max))])}
	e.Size = r.w - start
	r.r = r.w
	for {
		data := r.buf[r.r:r.w]
		eb := bytes.IndexByte(data, EndBlock)
		sb := bytes.IndexByte(data, StartBlock)
		switch {
		case sb >= 0 && (eb < 0 || sb < eb):
			r.r += sb // the next frame starts there
			return errAbandoned
		case eb >= 0:
			e.Size += eb
			r.r += eb + 1
			return e
		}
		e.Size += len(data)
		r.r, r.w = 0, 0
		if err := r.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: %w", ErrIncompleteFrame, io.ErrUnexpectedEOF)
			}
			return err
		}
	}
}

// fill reads more data into buf[w:]. It returns nil once at least one byte
// was read.
func (r *Reader) fill() error {
	if r.err != nil {
		return r.err
	}
	if r.buf == nil {
		r.buf = make([]byte, initialBuffer)
	}
	for range 100 {
		n, err := r.rd.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			r.err = err
		}
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	r.err = io.ErrNoProgress
	return r.err
}

// grow enlarges the buffer, never beyond what the largest acceptable frame
// needs (its content plus the end block).
func (r *Reader) grow() {
	size := min(max(2*len(r.buf), initialBuffer), r.max+1)
	if size <= len(r.buf) {
		size = len(r.buf) + 1 // cannot happen while the frame is within the limit
	}
	buf := make([]byte, size)
	copy(buf, r.buf[:r.w])
	r.buf = buf
}

func (r *Reader) maybeShrink() {
	if len(r.buf) > shrinkAbove && r.w-r.r < initialBuffer {
		buf := make([]byte, initialBuffer)
		r.w = copy(buf, r.buf[r.r:r.w])
		r.r = 0
		r.buf = buf
	}
}

// AppendFrame appends msg framed for MLLP to dst.
func AppendFrame(dst, msg []byte) []byte {
	dst = append(dst, StartBlock)
	dst = append(dst, msg...)
	return append(dst, EndBlock, CarriageReturn)
}

// WriteFrame writes msg as one MLLP frame in a single Write call, so a
// frame is never interleaved with another writer's and small messages go
// out in one packet. It refuses a message containing framing bytes, which
// the receiver would cut into pieces.
func WriteFrame(w io.Writer, msg []byte) error {
	if err := checkMessage(msg); err != nil {
		return err
	}
	buf := AppendFrame(make([]byte, 0, len(msg)+3), msg)
	_, err := w.Write(buf)
	return err
}

func checkMessage(msg []byte) error {
	if bytes.IndexByte(msg, StartBlock) >= 0 || bytes.IndexByte(msg, EndBlock) >= 0 {
		return ErrInvalidMessage
	}
	return nil
}
