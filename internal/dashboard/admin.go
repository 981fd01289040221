package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/imp-health/imp/internal/auth"
	"github.com/imp-health/imp/internal/inventory"
	"github.com/imp-health/imp/internal/store"
)

type inventoryView struct {
	Rows    []inventory.Row
	Counts  []countRow
	Filter  string
	Summary string
}

// recommendations in the order the page lists their counts.
var recommendations = []string{"delete", "enable", "review", "scale", "keep"}

func (h *Handler) inventory(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	var rows []inventory.Row
	var err error
	switch {
	case h.opt.Inventory != nil:
		rows, err = h.opt.Inventory(ctx)
	case h.opt.Admin != nil:
		rows, err = inventory.Build(ctx, inventory.Source{Admin: h.opt.Admin, Store: h.opt.Store, Topics: h.opt.Topics,
			Enabled: h.opt.Enabled, Now: h.opt.Now}, h.defs)
	default:
		err = errors.New("no broker admin client")
	}
	if err != nil {
		h.serverError(w, r, "build the inventory", err)
		return
	}
	v := inventoryView{Filter: r.URL.Query().Get("rec")}
	counts := map[string]int{}
	for _, row := range rows {
		counts[row.Recommendation]++
		if v.Filter == "" || row.Recommendation == v.Filter {
			v.Rows = append(v.Rows, row)
		}
	}
	for _, rec := range recommendations {
		if counts[rec] > 0 {
			v.Counts = append(v.Counts, countRow{rec, counts[rec]})
		}
	}
	v.Summary = plural(len(rows), "workload", "workloads")
	h.render(w, r, http.StatusOK, "inventory", pageData{Title: "Inventory", Nav: "inventory", Session: s, Body: v})
}

type auditView struct {
	Rows   []store.AuditEntry
	Action string
	Actor  string
	Older  string
}

func (h *Handler) audit(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	v := auditView{Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor"))}
	// The store pages by id only; filters apply to a window of entries.
	const window = 500
	rows, err := h.opt.Store.AuditLog(r.Context(), window, before)
	if err != nil {
		h.serverError(w, r, "read the audit log", err)
		return
	}
	for _, e := range rows {
		if (v.Action == "" || strings.HasPrefix(e.Action, v.Action)) && (v.Actor == "" || strings.Contains(e.Actor, v.Actor)) {
			v.Rows = append(v.Rows, e)
		}
	}
	if len(rows) == window {
		qv := q
		qv.Set("before", strconv.FormatInt(rows[len(rows)-1].ID, 10))
		v.Older = h.url("audit") + "?" + qv.Encode()
	}
	h.render(w, r, http.StatusOK, "audit", pageData{Title: "Audit log", Nav: "audit", Session: s, Body: v})
}

type usersView struct {
	Users []store.User
	Roles []string
	// Secret is a one-time password just set, shown once.
	Secret, SecretFor string
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderUsers(w, r, s, http.StatusOK, "", "", "")
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, s *session, status int, errMsg, secretFor, secret string) {
	us, err := h.opt.Store.ListUsers(r.Context())
	if err != nil {
		h.serverError(w, r, "list users", err)
		return
	}
	h.render(w, r, status, "users", pageData{Title: "Users", Nav: "users", Session: s, Error: errMsg,
		Body: usersView{Users: us, Roles: roles, Secret: secret, SecretFor: secretFor}})
}

func (h *Handler) userCreate(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	role := r.PostFormValue("role")
	if !usernamePattern.MatchString(name) {
		h.renderUsers(w, r, s, http.StatusUnprocessableEntity, "User names are 2 to 64 characters: a-z, 0-9, '.', '_' or '-'.", "", "")
		return
	}
	if roleRank(role) == 0 {
		h.renderUsers(w, r, s, http.StatusUnprocessableEntity, "Choose a role: viewer, operator or admin.", "", "")
		return
	}
	pw := oneTimePassword()
	u := store.User{Username: name, PasswordHash: hashPassword(pw), Role: role, MustChange: true, CreatedAt: h.now()}
	if err := h.opt.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			h.renderUsers(w, r, s, http.StatusConflict, "A user named "+name+" exists already.", "", "")
			return
		}
		h.serverError(w, r, "create the user", err)
		return
	}
	h.auditf(ctx, s.actor(), "user.create", name, "role=%s", role)
	h.log.Info("user created", "by", s.User.Username, "user", name, "role", role)
	h.renderUsers(w, r, s, http.StatusOK, "", name, pw)
}

// userUpdate changes a role, disables or enables, or resets a password
// (op = role | disable | enable | reset). Disable and reset go through a
// confirmation page. Every change ends the user's sessions.
func (h *Handler) userUpdate(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	name := r.PathValue("name")
	op := r.PostFormValue("op")
	u, err := h.opt.Store.User(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, s, http.StatusNotFound, "No such user", "There is no user named "+name+".")
		return
	}
	if err != nil {
		h.serverError(w, r, "read the user", err)
		return
	}
	if name == s.User.Username {
		h.renderUsers(w, r, s, http.StatusUnprocessableEntity, "You cannot change your own account here: ask another admin, or use Change password.", "", "")
		return
	}
	var detail string
	switch op {
	case "role":
		role := r.PostFormValue("role")
		if roleRank(role) == 0 {
			h.renderUsers(w, r, s, http.StatusUnprocessableEntity, "Choose a role: viewer, operator or admin.", "", "")
			return
		}
		if role == u.Role {
			h.redirect(w, r, "users")
			return
		}
		detail = "role " + u.Role + " -> " + role
		u.Role = role
	case "disable", "enable", "reset":
		if r.PostFormValue("confirm") != "yes" {
			verb := map[string]string{"disable": "Disable", "enable": "Enable", "reset": "Reset the password of"}[op]
			h.render(w, r, http.StatusOK, "confirm", pageData{Title: "Confirm", Nav: "users", Session: s, Body: confirmView{
				Question: verb + " " + name + "?", Button: verb + " " + name, Target: h.url("users/" + url.PathEscape(name)),
				Back: h.url("users"), Danger: op == "disable", Hidden: [][2]string{{"op", op}}, Explain: userExplain[op],
			}})
			return
		}
		switch op {
		case "disable":
			u.Disabled, detail = true, "disabled"
		case "enable":
			u.Disabled, detail = false, "enabled"
		case "reset":
			pw := oneTimePassword()
			u.PasswordHash, u.MustChange, detail = hashPassword(pw), true, "password reset (one-time password)"
			if err := h.saveUser(r, u); err != nil {
				h.serverError(w, r, "update the user", err)
				return
			}
			h.auditf(ctx, s.actor(), "user.update", name, "%s", detail)
			h.renderUsers(w, r, s, http.StatusOK, "", name, pw)
			return
		}
	default:
		h.errorPage(w, r, s, http.StatusBadRequest, "Unknown change", "Choose a role, disable, enable or reset.")
		return
	}
	if err := h.saveUser(r, u); err != nil {
		h.serverError(w, r, "update the user", err)
		return
	}
	h.auditf(ctx, s.actor(), "user.update", name, "%s", detail)
	h.log.Info("user updated", "by", s.User.Username, "user", name, "change", detail)
	h.flash(w, "User "+name+": "+detail+".")
	h.redirect(w, r, "users")
}

var userExplain = map[string]string{
	"disable": "The user is signed out everywhere and cannot sign in until enabled again.",
	"enable":  "The user can sign in again with their password.",
	"reset":   "The user is signed out everywhere and gets a one-time password, shown once on the next page, to be changed at first sign-in.",
}

func (h *Handler) saveUser(r *http.Request, u store.User) error {
	if err := h.opt.Store.UpdateUser(r.Context(), u); err != nil {
		return err
	}
	return h.opt.Store.DeleteSessions(r.Context(), u.Username)
}

type keysView struct {
	Keys   []store.APIKey
	Scopes []string
	Token  string
	Name   string
}

func (h *Handler) keys(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderKeys(w, r, s, http.StatusOK, "", "", "")
}

func (h *Handler) renderKeys(w http.ResponseWriter, r *http.Request, s *session, status int, errMsg, name, token string) {
	ks, err := h.opt.Store.ListAPIKeys(r.Context())
	if err != nil {
		h.serverError(w, r, "list API keys", err)
		return
	}
	slices.SortFunc(ks, func(a, b store.APIKey) int { return b.CreatedAt.Compare(a.CreatedAt) })
	h.render(w, r, status, "keys", pageData{Title: "API keys", Nav: "keys", Session: s, Error: errMsg,
		Body: keysView{Keys: ks, Scopes: auth.AllScopes, Token: token, Name: name}})
}

func (h *Handler) keyCreate(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	if h.opt.Keys == nil {
		h.errorPage(w, r, s, http.StatusServiceUnavailable, "Not available", "API keys cannot be issued from this process.")
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	scopes := r.PostForm["scope"]
	if name == "" || len(name) > 100 {
		h.renderKeys(w, r, s, http.StatusUnprocessableEntity, "Name the key (who or what uses it), at most 100 characters.", "", "")
		return
	}
	if len(scopes) == 0 {
		h.renderKeys(w, r, s, http.StatusUnprocessableEntity, "Grant at least one scope.", "", "")
		return
	}
	if err := auth.CheckScopes(scopes); err != nil {
		h.renderKeys(w, r, s, http.StatusUnprocessableEntity, err.Error(), "", "")
		return
	}
	token, key, err := h.opt.Keys.Create(ctx, name, scopes)
	if err != nil {
		h.serverError(w, r, "create the API key", err)
		return
	}
	h.auditf(ctx, s.actor(), "key.create", key.ID, "name=%q scopes=%s", name, strings.Join(scopes, ","))
	h.log.Info("API key created", "by", s.User.Username, "key", key.ID, "scopes", scopes)
	h.renderKeys(w, r, s, http.StatusOK, "", name, token)
}

func (h *Handler) keyRevoke(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := r.PathValue("id")
	if h.opt.Keys == nil {
		h.errorPage(w, r, s, http.StatusServiceUnavailable, "Not available", "API keys cannot be revoked from this process.")
		return
	}
	key, err := h.opt.Store.APIKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, s, http.StatusNotFound, "No such key", "There is no API key "+id+".")
		return
	}
	if err != nil {
		h.serverError(w, r, "read the API key", err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		h.render(w, r, http.StatusOK, "confirm", pageData{Title: "Confirm", Nav: "keys", Session: s, Body: confirmView{
			Question: "Revoke API key " + key.ID + " (" + key.Name + ")?", Button: "Revoke " + key.ID,
			Target: h.url("keys/" + url.PathEscape(key.ID) + "/revoke"), Back: h.url("keys"), Danger: true,
			Explain: "Clients using this key are refused within seconds (each process caches verified keys briefly). This cannot be undone.",
		}})
		return
	}
	if err := h.opt.Keys.Revoke(ctx, id); err != nil {
		h.serverError(w, r, "revoke the API key", err)
		return
	}
	h.auditf(ctx, s.actor(), "key.revoke", id, "name=%q", key.Name)
	h.log.Info("API key revoked", "by", s.User.Username, "key", id)
	h.flash(w, "Revoked API key "+id+".")
	h.redirect(w, r, "keys")
}
