package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with argon2id at OWASP's recommended minimum (19
// MiB, 2 passes, 1 lane) and stored in the PHC string format, so the
// parameters can be raised later without invalidating stored hashes.
type argonParams struct {
	time, memory uint32 // passes, KiB
	threads      uint8
}

// defaultArgon is what production hashes with; tests of other packages
// lower it (export_test.go) because argon2 under the race detector is slow.
var (
	defaultArgon = argonParams{time: 2, memory: 19 * 1024, threads: 1}
	argon        = defaultArgon
)

const (
	argonKeyLen = 32
	saltLen     = 16

	// minPassword is the shortest password a user may choose.
	minPassword = 12
)

var b64 = base64.RawStdEncoding

// hashPassword returns the PHC string of password.
func hashPassword(password string) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt)
	p := argon
	key := argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errBadHash = errors.New("unsupported password hash")

// checkPassword reports whether password matches the PHC string encoded.
func checkPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var mem, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || t == 0 || p == 0 || mem > 1<<22 || t > 64 {
		return false, errBadHash
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when a login names an unknown or disabled
// user, so the answer takes as long as for a real one.
var dummyHash = sync.OnceValue(func() string { return hashPassword("no user has this password, it only burns time") })

// oneTimePassword is a random password for first login or a reset: 20
// characters from an alphabet without look-alikes (about 100 bits).
func oneTimePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	limit := 256 - 256%len(alphabet) // reject the bytes that would bias the draw
	out := make([]byte, 0, 20)
	buf := make([]byte, 32)
	for len(out) < 20 {
		_, _ = rand.Read(buf)
		for _, c := range buf {
			if int(c) < limit && len(out) < 20 {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	// Groups of five are easier to read out and type.
	s := string(out)
	return s[0:5] + "-" + s[5:10] + "-" + s[10:15] + "-" + s[15:20]
}

// checkNewPassword explains what is wrong with a chosen password.
func checkNewPassword(pw, confirm, current, username string) string {
	switch {
	case pw != confirm:
		return "The two new passwords differ."
	case len([]rune(pw)) < minPassword:
		return fmt.Sprintf("Choose a password of at least %d characters.", minPassword)
	case len(pw) > 1024:
		return "That password is too long."
	case pw == current:
		return "Choose a password different from the current one."
	case strings.EqualFold(pw, username):
		return "The password must not be the user name."
	}
	return ""
}

// randomToken is 32 random bytes, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
