// Package auth issues and verifies per-client API keys. A key is shown once
// when it is created; only its HMAC-SHA256 (keyed by a server-side pepper)
// is stored, and verification compares in constant time. Keys carry scopes
// that say which streams a client may write and whether it may read.
//
// API keys are long random secrets, so a fast keyed hash is the right tool
// (a password hash such as bcrypt would add milliseconds to every request
// and no security). The package must never log keys or hashes.
package auth
