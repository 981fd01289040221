package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/imp-health/imp/internal/store"
)

const userCols = `username, password_hash, role, disabled, must_change, created_at, last_login`

func scanUser(sc interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var created, last int64
	err := sc.Scan(&u.Username, &u.PasswordHash, &u.Role, &u.Disabled, &u.MustChange, &created, &last)
	u.CreatedAt, u.LastLogin = fromMicros(created), fromMicros(last)
	return u, err
}

// CreateUser adds a user.
func (s *DB) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`),
		u.Username, u.PasswordHash, u.Role, u.Disabled, u.MustChange, micros(u.CreatedAt), micros(u.LastLogin))
	return s.err("create user", err)
}

// UpdateUser replaces a user's mutable fields.
func (s *DB) UpdateUser(ctx context.Context, u store.User) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE users SET password_hash = $1, role = $2, disabled = $3, must_change = $4,
		last_login = $5 WHERE username = $6`), u.PasswordHash, u.Role, u.Disabled, u.MustChange, micros(u.LastLogin), u.Username)
	if err != nil {
		return s.err("update user", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s: %w", u.Username, store.ErrNotFound)
	}
	return nil
}

// User reads one user.
func (s *DB) User(ctx context.Context, username string) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE username = $1`), username))
	return u, s.err("user", err)
}

// ListUsers lists users by name.
func (s *DB) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, s.err("users", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.err("users", err)
		}
		out = append(out, u)
	}
	return out, s.err("users", rows.Err())
}

// CountUsers counts users.
func (s *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, s.err("count users", err)
}

// CreateSession stores a session.
func (s *DB) CreateSession(ctx context.Context, ss store.Session) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sessions (id_hash, username, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`),
		ss.IDHash, ss.Username, ss.CSRF, micros(ss.CreatedAt), micros(ss.ExpiresAt))
	return s.err("create session", err)
}

// Session reads a live session.
func (s *DB) Session(ctx context.Context, idHash []byte, now time.Time) (store.Session, error) {
	ss := store.Session{IDHash: idHash}
	var created, expires int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT username, csrf, created_at, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2`),
		idHash, micros(now)).Scan(&ss.Username, &ss.CSRF, &created, &expires)
	ss.CreatedAt, ss.ExpiresAt = fromMicros(created), fromMicros(expires)
	return ss, s.err("session", err)
}

// DeleteSession ends a session.
func (s *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE id_hash = $1`), idHash)
	return s.err("delete session", err)
}

// DeleteSessions ends every session of a user.
func (s *DB) DeleteSessions(ctx context.Context, username string) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE username = $1`), username)
	return s.err("delete sessions", err)
}
