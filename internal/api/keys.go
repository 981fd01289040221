package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// KeyRequest creates an API key.
type KeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// KeyInfo describes an API key; never its secret nor its hash.
type KeyInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	LastUsed  time.Time `json:"last_used,omitzero"`
}

// CreatedKey is a new key with its token, which is shown only in this
// response.
type CreatedKey struct {
	KeyInfo
	Token string `json:"token,omitempty"`
	Note  string `json:"note,omitempty"`
}

// KeyList lists API keys.
type KeyList struct {
	Keys []KeyInfo `json:"keys"`
}

func keyInfo(k store.APIKey) KeyInfo {
	return KeyInfo{ID: k.ID, Name: k.Name, Scopes: nonNil(k.Scopes), CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt, LastUsed: k.LastUsed}
}

func (kr *KeyRequest) validate() error {
	var p lab.Problems
	if p.Required("name", kr.Name) {
		p.MaxLen("name", kr.Name, 100)
		if strings.ContainsFunc(kr.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			p.Add("name", "must not contain control characters")
		}
	}
	if len(kr.Scopes) == 0 {
		p.Add("scopes", "must list at least one of %s", strings.Join(auth.AllScopes, ", "))
	}
	for i, sc := range kr.Scopes {
		if !contains(auth.AllScopes, sc) {
			p.Add("scopes["+strconv.Itoa(i)+"]", "must be one of %s", strings.Join(auth.AllScopes, ", "))
		}
	}
	return p.Err()
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, s.opt.MaxBody, ctJSON)
	defer body.release()
	if err != nil {
		s.writeBodyError(w, r, "", err)
		return
	}
	s.idempotent(w, r, body.b, func(idGen) response {
		var kr KeyRequest
		if err := decodeStrict(body.b, &kr); err != nil {
			return problemResponse(r, bodyProblem(err))
		}
		if err := kr.validate(); err != nil {
			return problemResponse(r, bodyProblem(err))
		}
		ctx := r.Context()
		tok, k, err := s.opt.Keys.Create(ctx, kr.Name, kr.Scopes)
		if err != nil {
			s.log.ErrorContext(ctx, "key create failed", "err", err)
			return problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Store unavailable",
				"the key could not be created; retry")).withRetry()
		}
		s.audit(r, "key.create", k.ID, "name="+k.Name+" scopes="+strings.Join(k.Scopes, ","))
		// What is stored for an Idempotency-Key replay never holds the
		// token: only its hash may be kept. A replay says so.
		return response{status: http.StatusCreated, store: true,
			body: appendJSON(nil, CreatedKey{KeyInfo: keyInfo(k), Token: tok, Note: "the token is shown only now; keep it as a secret"}),
			storeBody: appendJSON(nil, CreatedKey{KeyInfo: keyInfo(k),
				Note: "replayed: the token was shown once, in the first response to this request; revoke this key if it was lost"})}
	})
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r) {
		return
	}
	ks, err := s.opt.Store.ListAPIKeys(r.Context())
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	out := KeyList{Keys: make([]KeyInfo, len(ks))}
	for i, k := range ks {
		out.Keys[i] = keyInfo(k)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	ctx := r.Context()
	if _, err := s.opt.Store.APIKey(ctx, id); err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	if err := s.opt.Keys.Revoke(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.writeStoreError(w, r, err)
			return
		}
		s.log.ErrorContext(ctx, "key revoke failed", "err", err)
		problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Store unavailable",
			"the key could not be revoked; retry")).withRetry().write(w)
		return
	}
	s.audit(r, "key.revoke", id, "")
	w.WriteHeader(http.StatusNoContent)
}

// audit records an administrative action; a failure is logged, not
// answered: the action itself has happened.
func (s *Server) audit(r *http.Request, action, target, detail string) {
	err := s.opt.Store.AddAudit(r.Context(), store.AuditEntry{Actor: actorOf(r), Action: action, Target: target,
		Detail: detail, At: time.Now().UTC()})
	if err != nil {
		s.log.ErrorContext(r.Context(), "audit log write failed", "action", action, "target", target, "err", err)
	}
}
