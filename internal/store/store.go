package store

import (
	"context"
	"errors"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

// Sentinel errors. Drivers map their database errors onto these at the seam.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrUnavailable = errors.New("store unavailable")
)

// Store is IMP's state: master data, processed-message records, API keys.
type Store interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
	// Migrate applies every pending migration; it is safe to run from
	// several processes at once.
	Migrate(ctx context.Context) error
	// MigrationVersion reports the newest applied migration.
	MigrationVersion(ctx context.Context) (int, error)
	// Driver names the driver ("sqlite", "postgres").
	Driver() string

	// InTx runs fn in one transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(Tx) error) error

	Customer(ctx context.Context, id string) (lab.Customer, error)

	APIKeys
}

// Tx is what a consumer may do inside one transaction.
type Tx interface {
	// Claim records the message ids as processed by consumer and returns
	// those that were not processed before. Only claimed ids may take
	// effect: redelivered ones are skipped.
	Claim(ctx context.Context, consumer string, ids []string) (fresh map[string]bool, err error)
	// Unclaim removes claims made in this transaction for messages whose
	// handling failed, so a later retry or re-push can process them.
	Unclaim(ctx context.Context, consumer string, ids []string) error
	// UpsertCustomers applies each customer whose version is newer than
	// the stored one and reports which ids were applied.
	UpsertCustomers(ctx context.Context, cs []lab.Customer) (applied map[string]bool, err error)
}

// APIKey is a client's credential. The secret itself is never stored: only
// its hash, so a database leak does not leak keys.
type APIKey struct {
	ID        string // public part of the key, also its lookup id
	Name      string
	Hash      []byte
	Scopes    []string
	CreatedAt time.Time
	RevokedAt time.Time
	LastUsed  time.Time
}

// APIKeys stores API keys.
type APIKeys interface {
	CreateAPIKey(ctx context.Context, k APIKey) error
	APIKey(ctx context.Context, id string) (APIKey, error)
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
}
