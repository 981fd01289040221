package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook signature scheme
//
// Every webhook request carries
//
//	X-IMP-Timestamp: <unix seconds when the request was signed>
//	X-IMP-Signature: sha256=<lower-case hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// where secret is the destination's shared secret (as bytes, no encoding)
// and body is the exact request body. Signing the timestamp with the body
// lets a receiver refuse replays: it recomputes the HMAC over the raw body
// it received, compares in constant time, and rejects timestamps further
// than a few minutes from its clock. A receiver may accept several
// comma-separated "sha256=" values in the header so that secrets can be
// rotated; VerifySignature does. Redeliveries are signed afresh with a new
// timestamp; receivers dedupe on Idempotency-Key, not on the signature.

// Errors of VerifySignature.
var (
	ErrSignatureMissing = errors.New("delivery: webhook signature missing or malformed")
	ErrSignatureInvalid = errors.New("delivery: webhook signature does not match")
	ErrSignatureExpired = errors.New("delivery: webhook timestamp outside the allowed skew")
)

// Header names of the webhook protocol.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderMessageID      = "X-IMP-Message-ID"
	HeaderKind           = "X-IMP-Kind"
	HeaderTimestamp      = "X-IMP-Timestamp"
	HeaderSignature      = "X-IMP-Signature"
)

const signaturePrefix = "sha256="

// Sign returns the X-IMP-Signature value for body sent at timestamp (unix
// seconds as a decimal string).
func Sign(secret, timestamp string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// VerifySignature checks a webhook request: header is the X-IMP-Signature
// value, timestamp the X-IMP-Timestamp value and body the raw request body.
// It returns nil if any sha256= value in header is the HMAC of timestamp and
// body under secret and, when maxSkew > 0, timestamp is within maxSkew of
// the current time. Errors wrap ErrSignatureMissing, ErrSignatureInvalid or
// ErrSignatureExpired.
func VerifySignature(secret, timestamp, body, header string, maxSkew time.Duration) error {
	if secret == "" {
		return errors.New("delivery: VerifySignature needs a secret")
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", ErrSignatureMissing)
	}
	var sums [][]byte
	for v := range strings.SplitSeq(header, ",") {
		v = strings.TrimSpace(v)
		hexSum, ok := strings.CutPrefix(v, signaturePrefix)
		if !ok {
			continue // other schemes may be listed beside ours
		}
		if sum, err := hex.DecodeString(hexSum); err == nil && len(sum) == sha256.Size {
			sums = append(sums, sum)
		}
	}
	if len(sums) == 0 {
		return ErrSignatureMissing
	}
	want := mac(secret, strings.TrimSpace(timestamp), []byte(body))
	ok := false
	for _, s := range sums {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignatureInvalid
	}
	// Checked after the MAC so that an attacker learns nothing about the
	// clock from a forged request, and a genuine but late one says so.
	if maxSkew > 0 {
		if d := time.Since(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
			return fmt.Errorf("%w: %s", ErrSignatureExpired, d.Round(time.Second))
		}
	}
	return nil
}
