package delivery

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Sentinel errors callers can branch on with errors.Is. Every error Deliver
// returns wraps one of them or a context error.
var (
	// ErrBadDestination: the destination is unusable for the connector
	// (wrong connector, missing URL or secret, invalid recipient). Permanent.
	ErrBadDestination = errors.New("delivery: bad destination")
	// ErrBadMessage: the message cannot travel over this connector (an
	// attachment for a webhook, an SMS over the length limit, an id unfit
	// for a file name, HL7 without MSH-10). Permanent.
	ErrBadMessage = errors.New("delivery: bad message")
	// ErrRejected: the receiver refused the message and will refuse it
	// again (HTTP 4xx, SMTP 5xx, HL7 AE/AR). Permanent.
	ErrRejected = errors.New("delivery: rejected by receiver")
	// ErrUnavailable: the receiver could not take the message now (HTTP
	// 5xx/429, SMTP 4xx, connection refused or dropped). Retryable.
	ErrUnavailable = errors.New("delivery: receiver unavailable")
	// ErrClosed: the connector was closed. Retryable (another replica or
	// the next start will deliver).
	ErrClosed = errors.New("delivery: connector closed")
)

// permanentError marks an error that no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() error   { return e.err }
func (e permanentError) Permanent() bool { return true }

// Permanent marks err as permanent: the consumer runtime dead-letters it
// instead of retrying. It follows the runtime's contract (a Permanent()
// bool method anywhere in the chain), so this package need not import it.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether any error in err's chain has a Permanent()
// bool method returning true. Every other error is retryable.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// ctxErr turns a failure that happened because ctx ended into a retryable
// error naming the context's reason, so a timeout reads as a timeout and
// not as whatever the aborted I/O reported.
func ctxErr(ctx context.Context, what string) error {
	if err := context.Cause(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

var (
	emailLike = regexp.MustCompile(`[^\s<>"'(),;:\[\]]+@[^\s<>"'(),;:\[\]]+`)
	digitRun  = regexp.MustCompile(`\+?[0-9][0-9 ()/-]*[0-9]`)
)

// redact makes receiver-supplied text (an SMTP reply, an HL7 MSA-3) fit for
// an error string: e-mail addresses and runs of seven or more digits
// (phone numbers, dates, record numbers) are masked, control characters dropped, and the length capped. A receiver
// should not echo patient data back, but some do ("550 <jane@...>: no
// such user").
func redact(s string, max int) string {
	s = strings.ToValidUTF8(s, "?")
	s = emailLike.ReplaceAllString(s, "<redacted>")
	s = digitRun.ReplaceAllStringFunc(s, func(run string) string {
		digits := 0
		for _, c := range run {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits >= 7 { // phone numbers, dates of birth, record numbers
			return "<redacted>"
		}
		return run
	})
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}
