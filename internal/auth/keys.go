package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/store"
)

// Errors callers branch on.
var (
	ErrNoKey      = errors.New("missing API key")
	ErrBadKey     = errors.New("invalid API key")
	ErrForbidden  = errors.New("scope not granted")
	ErrKeyRevoked = errors.New("API key revoked")
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Keys issues and verifies API keys against a store, caching verified keys
// briefly so a request costs one HMAC, not one query.
type Keys struct {
	st     store.APIKeys
	pepper []byte
	ttl    time.Duration
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cached
	macs  sync.Pool // HMAC states keyed by the pepper; one per request otherwise
}

type cached struct {
	key store.APIKey
	at  time.Time
}

// NewKeys verifies against st. pepper keys the hash (keep it in a secret,
// not in the database); ttl bounds how long a revocation takes to bite.
func NewKeys(st store.APIKeys, pepper string, ttl time.Duration) *Keys {
	k := &Keys{st: st, pepper: []byte(pepper), ttl: ttl, now: time.Now, cache: map[string]cached{}}
	k.macs.New = func() any { return hmac.New(sha256.New, k.pepper) }
	return k
}

func (k *Keys) hash(secret string) []byte {
	m := k.macs.Get().(hash.Hash)
	m.Reset()
	m.Write([]byte(secret))
	sum := m.Sum(nil)
	k.macs.Put(m)
	return sum
}

// split parses a token. IMP's own keys are imp_<id>_<secret>; any other
// token (an operator-chosen IMP_ADMIN_KEY) is a secret whose id is derived
// from its hash, so it needs no particular form.
func split(token string) (id, secret string) {
	if rest, ok := strings.CutPrefix(token, "imp_"); ok {
		if i, s, ok := strings.Cut(rest, "_"); ok && len(i) == 12 && len(s) >= 16 {
			return i, s
		}
	}
	sum := sha256.Sum256([]byte(token))
	return "env" + hex.EncodeToString(sum[:])[:9], token
}

// Create issues a key and returns the token, which is never stored.
func (k *Keys) Create(ctx context.Context, name string, scopes []string) (token string, key store.APIKey, err error) {
	if err := CheckScopes(scopes); err != nil {
		return "", store.APIKey{}, err
	}
	idb := make([]byte, 8)
	sb := make([]byte, 20)
	_, _ = rand.Read(idb)
	_, _ = rand.Read(sb)
	id := strings.ToLower(b32.EncodeToString(idb))[:12]
	secret := strings.ToLower(b32.EncodeToString(sb))
	key = store.APIKey{ID: id, Name: name, Hash: k.hash(secret), Scopes: scopes, CreatedAt: k.now().UTC()}
	if err := k.st.CreateAPIKey(ctx, key); err != nil {
		return "", store.APIKey{}, fmt.Errorf("create key: %w", err)
	}
	return "imp_" + id + "_" + secret, key, nil
}

// Install stores a caller-chosen token (IMP_ADMIN_KEY) with scopes; it is
// a no-op when that token is already installed and not revoked.
func (k *Keys) Install(ctx context.Context, name, token string, scopes []string) (store.APIKey, error) {
	id, secret := split(token)
	if existing, err := k.st.APIKey(ctx, id); err == nil {
		if subtle.ConstantTimeCompare(existing.Hash, k.hash(secret)) == 1 && existing.RevokedAt.IsZero() {
			return existing, nil
		}
		return store.APIKey{}, fmt.Errorf("install key %s: a different or revoked key has that id: %w", id, store.ErrConflict)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.APIKey{}, err
	}
	key := store.APIKey{ID: id, Name: name, Hash: k.hash(secret), Scopes: scopes, CreatedAt: k.now().UTC()}
	return key, k.st.CreateAPIKey(ctx, key)
}

// Verify authenticates a bearer token.
func (k *Keys) Verify(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrNoKey
	}
	id, secret := split(token)
	key, err := k.lookup(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrBadKey
	}
	if err != nil {
		return Principal{}, err
	}
	if subtle.ConstantTimeCompare(key.Hash, k.hash(secret)) != 1 {
		return Principal{}, ErrBadKey
	}
	if !key.RevokedAt.IsZero() {
		return Principal{}, ErrKeyRevoked
	}
	return Principal{KeyID: key.ID, Name: key.Name, Scopes: key.Scopes}, nil
}

func (k *Keys) lookup(ctx context.Context, id string) (store.APIKey, error) {
	now := k.now()
	k.mu.Lock()
	c, ok := k.cache[id]
	k.mu.Unlock()
	if ok && now.Sub(c.at) < k.ttl {
		return c.key, nil
	}
	key, err := k.st.APIKey(ctx, id)
	if err != nil {
		return key, err
	}
	k.mu.Lock()
	if len(k.cache) > 10_000 { // unknown ids are not cached; this bounds known ones
		clear(k.cache)
	}
	k.cache[id] = cached{key: key, at: now}
	k.mu.Unlock()
	return key, nil
}

// Revoke revokes a key and drops it from this process's cache.
func (k *Keys) Revoke(ctx context.Context, id string) error {
	err := k.st.RevokeAPIKey(ctx, id, k.now().UTC())
	k.mu.Lock()
	delete(k.cache, id)
	k.mu.Unlock()
	return err
}
