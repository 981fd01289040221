package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/msgid"
	"github.com/imp-health/imp/internal/store"
)

// Idempotency-Key handling.
//
// A retried POST with the same key from the same client (API key id) and
// the same body gets the stored response again, with the same message
// ids, and produces nothing. Three layers make that hold even when
// duplicates race or the process dies at the wrong moment:
//
//  1. Message ids are derived from (client, key, record index), so every
//     attempt of the same request produces records with the same ids and
//     the consumers' processed-message claims apply them once, whatever
//     happens to the idempotency record.
//  2. Within one process, concurrent duplicates wait for the first one
//     (inflight) and then replay its stored response: one record on the
//     topic.
//  3. Across replicas, store.PutIdempotency decides a winner; the loser
//     answers with the winner's response (its own record carries the
//     same message id, so it changes nothing downstream).
//
// Only successful outcomes are stored: a validation error or a broker
// failure is not an outcome worth replaying, and a client may retry it.

const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
	maxIdempotencyKey    = 255
)

// response is a handler's answer, kept as bytes so it can be stored and
// replayed verbatim.
type response struct {
	status      int
	contentType string // default application/json
	retryAfter  bool
	body        []byte
	// store says the response is an outcome to replay for the same
	// Idempotency-Key (it produced records).
	store bool
	// storeBody, when set, is stored for replays instead of body (a
	// created key's response without its token).
	storeBody []byte
}

// Shared header values: net/http only reads them, and the hot path then
// allocates no slice per header.
var (
	hvJSON    = []string{ctJSON}
	hvProblem = []string{ctProblem}
	hvNoStore = []string{"no-store"}
	hvRetry   = []string{"1"}
)

func (rs response) write(w http.ResponseWriter) {
	h := w.Header()
	if rs.contentType == ctProblem {
		h["Content-Type"] = hvProblem
		h["Cache-Control"] = hvNoStore
	} else if rs.contentType == "" || rs.contentType == ctJSON {
		h["Content-Type"] = hvJSON
	} else {
		h["Content-Type"] = []string{rs.contentType}
	}
	if rs.retryAfter {
		h["Retry-After"] = hvRetry
	}
	w.WriteHeader(rs.status)
	_, _ = w.Write(rs.body)
}

// idGen issues the message ids of one request's records.
type idGen struct {
	client, key string
	hash        []byte
}

// id is record i's message id: random (UUIDv7) without an idempotency
// key, else derived from (client, key, i).
func (g idGen) id(i int) string {
	if g.key == "" {
		return msgid.New()
	}
	return derivedID(g.client, g.key, i)
}

// derivedID is the id of record index of an idempotent request: the same
// client, key and index always yield the same id.
func derivedID(client, key string, index int) string {
	return msgid.Derive("imp-idempotency-v1", client, key, strconv.Itoa(index))
}

// requestHash fingerprints what the key promises not to change: the
// operation and the body.
func requestHash(r *http.Request, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(r.Method))
	h.Write([]byte{0})
	h.Write([]byte(r.URL.Path))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)
}

// inflight serialises concurrent requests with the same (client, key) in
// this process.
type inflight struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// acquire waits until no other request holds k, then holds it.
func (f *inflight) acquire(r *http.Request, k string) (release func(), err error) {
	for {
		f.mu.Lock()
		if f.m == nil {
			f.m = map[string]chan struct{}{}
		}
		ch, busy := f.m[k]
		if !busy {
			done := make(chan struct{})
			f.m[k] = done
			f.mu.Unlock()
			return func() {
				f.mu.Lock()
				delete(f.m, k)
				f.mu.Unlock()
				close(done)
			}, nil
		}
		f.mu.Unlock()
		select {
		case <-ch:
		case <-r.Context().Done():
			return func() {}, r.Context().Err()
		}
	}
}

// idempotent runs do, honouring an Idempotency-Key header.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, body []byte, do func(idGen) response) {
	key := r.Header.Get(headerIdempotencyKey)
	if key == "" {
		do(idGen{}).write(w)
		return
	}
	if !validIdempotencyKey(key) {
		writeProblem(w, r, problem(http.StatusBadRequest, probBadHeader, "Bad Idempotency-Key",
			"Idempotency-Key must be 1-255 printable ASCII characters"))
		return
	}
	client := principal(r.Context()).KeyID
	gen := idGen{client: client, key: key, hash: requestHash(r, body)}
	release, err := s.idem.acquire(r, client+"\x00"+key)
	defer release()
	if err != nil {
		return // the client went away while a duplicate ran
	}
	ctx := r.Context()
	prev, err := s.opt.Store.GetIdempotency(ctx, client, key)
	switch {
	case err == nil:
		s.replay(w, r, gen, prev)
		return
	case !errors.Is(err, store.ErrNotFound):
		s.log.ErrorContext(ctx, "idempotency read failed", "err", err)
		problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Store unavailable",
			"the Idempotency-Key could not be checked; retry")).withRetry().write(w)
		return
	}
	rs := do(gen)
	if !rs.store {
		rs.write(w)
		return
	}
	stored := rs.body
	if rs.storeBody != nil {
		stored = rs.storeBody
	}
	rec := store.IdempotencyRecord{Client: client, Key: key, RequestHash: gen.hash, Status: rs.status,
		Response: stored, CreatedAt: time.Now().UTC()}
	winner, err := s.opt.Store.PutIdempotency(ctx, rec)
	switch {
	case err == nil:
		rs.write(w)
	case errors.Is(err, store.ErrConflict) && winner.Status != 0:
		// Another replica stored first; our records carry the same
		// message ids, so answering with its response is the truth.
		s.replay(w, r, gen, winner)
	default:
		// The records are durable; only the replay record is missing. A
		// retry re-produces them with the same ids (deduplicated).
		s.log.WarnContext(ctx, "idempotency record not stored", "err", err)
		rs.write(w)
	}
}

func (s *Server) replay(w http.ResponseWriter, r *http.Request, gen idGen, prev store.IdempotencyRecord) {
	if !bytes.Equal(prev.RequestHash, gen.hash) {
		writeProblem(w, r, problem(http.StatusUnprocessableEntity, probIdempotency, "Idempotency-Key reused",
			"this Idempotency-Key was used with a different request; use a new key for a new request"))
		return
	}
	w.Header().Set(headerReplayed, "true")
	response{status: prev.Status, body: prev.Response}.write(w)
}

func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > maxIdempotencyKey {
		return false
	}
	for i := range len(k) {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
