package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/imp-health/imp/internal/lab"
)

// versioned describes a table of versioned documents.
type versioned struct {
	table string
	key   string   // key column
	cols  []string // columns after key and version, in row order
}

// row is one versioned document to upsert.
type row struct {
	key     string
	version int64
	vals    []any // values of versioned.cols
}

// newest keeps, per key, the entry that wins under better (the first one
// when none is better), in input order.
func newest[T any](items []T, key func(T) string, better func(a, b T) bool) []T {
	best := make(map[string]int, len(items))
	for i, it := range items {
		k := key(it)
		if j, ok := best[k]; !ok || better(it, items[j]) {
			best[k] = i
		}
	}
	out := make([]T, 0, len(best))
	for i, it := range items {
		if best[key(it)] == i {
			out = append(out, it)
		}
	}
	return out
}

// upsert applies rows whose version is newer than the stored one, in
// multi-row statements, and reports the applied keys.
func (t *txn) upsert(ctx context.Context, v versioned, rows []row, newer string) (map[string]bool, error) {
	applied := make(map[string]bool, len(rows))
	cols := append([]string{v.key, "version"}, v.cols...)
	sets := make([]string, 0, len(cols)-1)
	for _, c := range cols[1:] {
		sets = append(sets, c+" = excluded."+c)
	}
	if newer == "" {
		newer = v.table + ".version < excluded.version"
	}
	for start := 0; start < len(rows); start += chunkRows {
		chunk := rows[start:min(start+chunkRows, len(rows))]
		args := make([]any, 0, len(chunk)*len(cols))
		for _, r := range chunk {
			args = append(args, r.key, r.version)
			args = append(args, r.vals...)
		}
		q := `INSERT INTO ` + v.table + ` (` + strings.Join(cols, ", ") + `) VALUES ` + values(len(chunk), len(cols)) +
			` ON CONFLICT (` + v.key + `) DO UPDATE SET ` + strings.Join(sets, ", ") +
			` WHERE ` + newer + ` RETURNING ` + v.key
		if err := t.collect(ctx, "upsert "+v.table, q, args, applied); err != nil {
			return nil, err
		}
	}
	return applied, nil
}

func docOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode document: %w", err)
	}
	return string(b), nil
}

func byVersion[T any](version func(T) int64) func(a, b T) bool {
	return func(a, b T) bool { return version(a) > version(b) }
}

var (
	customersTable = versioned{table: "customers", key: "id", cols: []string{"tier", "doc", "updated_at"}}
	employeesTable = versioned{table: "employees", key: "id", cols: []string{"role", "active", "doc", "updated_at"}}
	testsTable     = versioned{table: "tests", key: "code", cols: []string{"active", "doc", "updated_at"}}
	ordersTable    = versioned{table: "orders", key: "accession", cols: []string{"customer_id", "partner_id", "doc", "updated_at"}}
)

// UpsertCustomers applies customers newer than the stored version.
func (t *txn) UpsertCustomers(ctx context.Context, cs []lab.Customer) (map[string]bool, error) {
	cs = newest(cs, func(c lab.Customer) string { return c.ID }, byVersion(func(c lab.Customer) int64 { return c.Version }))
	rows := make([]row, len(cs))
	for i, c := range cs {
		doc, err := docOf(c)
		if err != nil {
			return nil, err
		}
		rows[i] = row{c.ID, c.Version, []any{string(c.Tier), doc, micros(c.UpdatedAt)}}
	}
	return t.upsert(ctx, customersTable, rows, "")
}

// UpsertEmployees applies employees newer than the stored version.
func (t *txn) UpsertEmployees(ctx context.Context, es []lab.Employee) (map[string]bool, error) {
	es = newest(es, func(e lab.Employee) string { return e.ID }, byVersion(func(e lab.Employee) int64 { return e.Version }))
	rows := make([]row, len(es))
	for i, e := range es {
		doc, err := docOf(e)
		if err != nil {
			return nil, err
		}
		rows[i] = row{e.ID, e.Version, []any{string(e.Role), e.Active, doc, micros(e.UpdatedAt)}}
	}
	return t.upsert(ctx, employeesTable, rows, "")
}

// UpsertTests applies catalog entries newer than the stored version.
func (t *txn) UpsertTests(ctx context.Context, ts []lab.Test) (map[string]bool, error) {
	ts = newest(ts, func(x lab.Test) string { return x.Code }, byVersion(func(x lab.Test) int64 { return x.Version }))
	rows := make([]row, len(ts))
	for i, x := range ts {
		doc, err := docOf(x)
		if err != nil {
			return nil, err
		}
		rows[i] = row{x.Code, x.Version, []any{x.Active, doc, micros(x.UpdatedAt)}}
	}
	return t.upsert(ctx, testsTable, rows, "")
}

// UpsertOrders applies orders newer than the stored version; the LIS state
// columns are left alone.
func (t *txn) UpsertOrders(ctx context.Context, os []lab.Order) (map[string]bool, error) {
	os = newest(os, func(o lab.Order) string { return o.AccessionNumber }, byVersion(func(o lab.Order) int64 { return o.Version }))
	rows := make([]row, len(os))
	for i, o := range os {
		doc, err := docOf(o)
		if err != nil {
			return nil, err
		}
		rows[i] = row{o.AccessionNumber, o.Version, []any{o.CustomerID, o.PartnerID, doc, micros(o.UpdatedAt)}}
	}
	return t.upsert(ctx, ordersTable, rows, "")
}
