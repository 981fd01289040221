package store

import (
	"context"
	"encoding/json"
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

// Store is IMP's state: master data, orders and results, processed-message
// records, message tracking, dead letters, audit, API keys.
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

	Reads
	Tracking
	DeadLetters
	Audit
	Idempotency
	APIKeys
	Destinations
	Users
	// Reports lists an order's report versions, newest first.
	Reports(ctx context.Context, accession string) ([]Report, error)
	// Processed reports which ids consumer has claimed (read-only; used to
	// skip outbound deliveries already made).
	Processed(ctx context.Context, consumer string, ids []string) (map[string]bool, error)
	// Prune deletes tracking rows, processed-message records, audit
	// entries and idempotency records older than before, at most limit
	// rows per table per call, and reports how many it deleted.
	Prune(ctx context.Context, before time.Time, limit int) (int, error)
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

	// Versioned upserts: each entity is applied only when its version is
	// newer than the stored one; the result says which keys were applied.
	UpsertCustomers(ctx context.Context, cs []lab.Customer) (applied map[string]bool, err error)
	UpsertEmployees(ctx context.Context, es []lab.Employee) (applied map[string]bool, err error)
	UpsertTests(ctx context.Context, ts []lab.Test) (applied map[string]bool, err error)
	UpsertOrders(ctx context.Context, os []lab.Order) (applied map[string]bool, err error)
	// ApplyResults stores results that are Newer than the stored ones
	// (lab.Result.Newer), keyed by lab.Result.ResultKey.
	ApplyResults(ctx context.Context, rs []lab.Result) (applied map[string]bool, err error)
	// ApplyStatus applies status events per lab.ShouldApply and reports
	// which events (by index) changed an order's status.
	ApplyStatus(ctx context.Context, evs []lab.StatusEvent) (applied map[int]bool, err error)
	// SetLISState records what the LIS said about an order.
	SetLISState(ctx context.Context, accession string, st LISState) error
	// OrderResults reads an order and its results inside the transaction.
	OrderResults(ctx context.Context, accession string) (lab.Order, []lab.Result, error)
	// AddReport records a report version; the version number is assigned
	// here (1, 2, ... per accession). A report with the same accession and
	// digest returns the existing record and created false.
	AddReport(ctx context.Context, r Report) (stored Report, created bool, err error)
}

// Report is a stored PDF report version.
type Report struct {
	ID        string    `json:"report_id"`
	Accession string    `json:"accession_number"`
	Version   int       `json:"version"`
	Digest    string    `json:"digest"`
	Path      string    `json:"-"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// LISState is an order's state at the LIS.
type LISState struct {
	State  string // pending, sent, rejected
	Detail string // ACK text on rejection
	At     time.Time
}

// OrderView is an order with its status, LIS state and results.
type OrderView struct {
	Order    lab.Order    `json:"order"`
	Status   lab.Status   `json:"status"`
	StatusAt time.Time    `json:"status_at,omitzero"`
	LIS      LISState     `json:"lis"`
	Results  []lab.Result `json:"results"`
}

// Reads are the API's read-backs.
type Reads interface {
	Customer(ctx context.Context, id string) (lab.Customer, error)
	Employee(ctx context.Context, id string) (lab.Employee, error)
	Test(ctx context.Context, code string) (lab.Test, error)
	// Tests lists the catalog, ordered by code.
	Tests(ctx context.Context) ([]lab.Test, error)
	Order(ctx context.Context, accession string) (OrderView, error)
	// OrderViews reads many orders as Order does, in a few queries; an
	// accession IMP knows nothing of is absent from the map.
	OrderViews(ctx context.Context, accessions []string) (map[string]OrderView, error)
	// CustomerTiers returns the tier of each known id (for ingress
	// routing caches).
	CustomerTiers(ctx context.Context, ids []string) (map[string]lab.Tier, error)
}

// TrackRecord is what became of one message at one consumer.
type TrackRecord struct {
	MessageID string            `json:"message_id"`
	Consumer  string            `json:"consumer"`
	Stream    string            `json:"stream"`
	Topic     string            `json:"topic"`
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Status    string            `json:"status"` // processed, duplicate, retrying, dead, repushed, discarded
	Attempt   int               `json:"attempt"`
	Error     string            `json:"error,omitempty"`
	Note      string            `json:"note,omitempty"`
	Actor     string            `json:"actor,omitempty"` // who re-pushed or discarded
	Keys      map[string]string `json:"keys,omitempty"`  // order, customer, test
	At        time.Time         `json:"at"`
	FirstAt   time.Time         `json:"first_at,omitzero"`
}

// MessageEvent is one step of a message's timeline.
type MessageEvent struct {
	MessageID string    `json:"message_id"`
	Consumer  string    `json:"consumer"`
	Status    string    `json:"status"`
	Attempt   int       `json:"attempt"`
	Error     string    `json:"error,omitempty"`
	Note      string    `json:"note,omitempty"`
	Actor     string    `json:"actor,omitempty"`
	At        time.Time `json:"at"`
}

// MessageQuery filters tracked messages; empty fields match everything.
type MessageQuery struct {
	MessageID string
	Order     string
	Customer  string
	Test      string
	Stream    string
	Consumer  string
	Status    string
	From, To  time.Time
	Limit     int // default 100, at most 1000
	// Before pages backwards: only rows updated before this time.
	Before time.Time
}

// Tracking is message tracking.
type Tracking interface {
	// Track upserts each record's latest state per (message, consumer)
	// and appends its timeline event.
	Track(ctx context.Context, recs []TrackRecord) error
	// Messages searches tracked messages, newest first.
	Messages(ctx context.Context, q MessageQuery) ([]TrackRecord, error)
	// Timeline lists a message's events, oldest first.
	Timeline(ctx context.Context, messageID string) ([]MessageEvent, error)
	// Activity summarises tracking per consumer since a time.
	Activity(ctx context.Context, since time.Time) ([]ConsumerActivity, error)
	// Rates counts outcomes per consumer in time buckets since a time
	// (for throughput and error-rate charts).
	Rates(ctx context.Context, since time.Time, bucket time.Duration) ([]RatePoint, error)
}

// RatePoint is one consumer's outcomes in one time bucket.
type RatePoint struct {
	Consumer string    `json:"consumer"`
	Start    time.Time `json:"start"`
	Total    int64     `json:"total"`
	Failed   int64     `json:"failed"` // retrying or dead
}

// ConsumerActivity is one consumer's traffic since a time.
type ConsumerActivity struct {
	Consumer string    `json:"consumer"`
	Total    int64     `json:"total"`
	Failed   int64     `json:"failed"` // retrying or dead
	Last     time.Time `json:"last,omitzero"`
}

// DeadLetter is a record in a DLQ, indexed for search and re-push.
type DeadLetter struct {
	MessageID  string            `json:"message_id"`
	Consumer   string            `json:"consumer"`
	Stream     string            `json:"stream"`
	Topic      string            `json:"topic"` // the DLQ topic
	Partition  int32             `json:"partition"`
	Offset     int64             `json:"offset"`
	ErrorClass string            `json:"error_class"`
	Error      string            `json:"error"`
	Attempts   int               `json:"attempts"`
	Keys       map[string]string `json:"keys,omitempty"`
	DeadAt     time.Time         `json:"dead_at"`
	State      string            `json:"state"` // dead, repushed, discarded
	Actor      string            `json:"actor,omitempty"`
	ActedAt    time.Time         `json:"acted_at,omitzero"`
}

// DeadQuery filters dead letters.
type DeadQuery struct {
	Stream     string
	Consumer   string
	ErrorClass string
	State      string // default "dead"
	Order      string
	Customer   string
	MessageID  string
	From, To   time.Time
	Limit      int
}

// DeadLetters indexes DLQ records.
type DeadLetters interface {
	AddDeadLetters(ctx context.Context, ds []DeadLetter) error
	DeadLetterList(ctx context.Context, q DeadQuery) ([]DeadLetter, error)
	// SetDeadState moves dead letters (by message id and consumer) from
	// "dead" to state (repushed, discarded); it reports how many moved.
	SetDeadState(ctx context.Context, keys []DeadKey, state, actor string, at time.Time) (int, error)
}

// DeadKey names one dead letter.
type DeadKey struct{ MessageID, Consumer string }

// AuditEntry is one audited action.
type AuditEntry struct {
	ID     int64     `json:"id"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"` // repush, discard, key.create, user.create, ...
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

// Audit is the audit log.
type Audit interface {
	AddAudit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, limit int, before int64) ([]AuditEntry, error)
}

// IdempotencyRecord remembers what an Idempotency-Key request produced.
type IdempotencyRecord struct {
	Client      string // API key id
	Key         string
	RequestHash []byte
	Status      int
	Response    []byte
	CreatedAt   time.Time
}

// Idempotency stores Idempotency-Key outcomes.
type Idempotency interface {
	// PutIdempotency stores rec; if the (client, key) exists it returns
	// the stored record and ErrConflict.
	PutIdempotency(ctx context.Context, rec IdempotencyRecord) (IdempotencyRecord, error)
	GetIdempotency(ctx context.Context, client, key string) (IdempotencyRecord, error)
}

// APIKey is a client's credential. The secret itself is never stored: only
// its hash, so a database leak does not leak keys.
type APIKey struct {
	ID        string
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

// Destination is where a partner's or customer's events are delivered.
type Destination struct {
	ID string `json:"id"`
	// Owner is "partner:<id>", "customer:<id>" or "*" for everyone.
	Owner  string   `json:"owner"`
	Events []string `json:"events"` // result, status, report
	Format string   `json:"format"` // json, hl7, fhir
	// Connector is the delivery.Destination document (connector, URL or
	// address, secret, timeout).
	Connector json.RawMessage `json:"connector"`
	Enabled   bool            `json:"enabled"`
	CreatedAt time.Time       `json:"created_at"`
}

// Destinations stores delivery destinations.
type Destinations interface {
	PutDestination(ctx context.Context, d Destination) error
	DeleteDestination(ctx context.Context, id string) error
	ListDestinations(ctx context.Context) ([]Destination, error)
	// DestinationsFor lists enabled destinations of any of owners that
	// take event.
	DestinationsFor(ctx context.Context, owners []string, event string) ([]Destination, error)
}

// User is a dashboard user.
type User struct {
	Username     string    `json:"username"`
	PasswordHash string    `json:"-"`
	Role         string    `json:"role"` // viewer, operator, admin
	Disabled     bool      `json:"disabled"`
	MustChange   bool      `json:"must_change"` // a one-time password is set
	CreatedAt    time.Time `json:"created_at"`
	LastLogin    time.Time `json:"last_login,omitzero"`
}

// Session is a dashboard login.
type Session struct {
	IDHash    []byte // hash of the cookie value
	Username  string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Users stores dashboard users and sessions.
type Users interface {
	// CreateUser adds a user; an existing name is ErrConflict.
	CreateUser(ctx context.Context, u User) error
	// UpdateUser replaces a user's hash, role and flags; unknown is
	// ErrNotFound.
	UpdateUser(ctx context.Context, u User) error
	User(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	CountUsers(ctx context.Context) (int, error)
	CreateSession(ctx context.Context, s Session) error
	// Session returns a live session (ErrNotFound when absent or expired).
	Session(ctx context.Context, idHash []byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, idHash []byte) error
	// DeleteSessions ends every session of a user (password change,
	// disable, role change).
	DeleteSessions(ctx context.Context, username string) error
}
