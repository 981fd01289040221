package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// doc reads one JSON document by key and decodes it into v.
func (s *DB) doc(ctx context.Context, op, query, key string, v any) error {
	var b []byte
	if err := s.db.QueryRowContext(ctx, s.q(query), key).Scan(&b); err != nil {
		return s.err(op, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s %s: decode: %w", op, key, err)
	}
	return nil
}

// Customer reads one customer.
func (s *DB) Customer(ctx context.Context, id string) (lab.Customer, error) {
	var c lab.Customer
	return c, s.doc(ctx, "customer", `SELECT doc FROM customers WHERE id = $1`, id, &c)
}

// Employee reads one employee.
func (s *DB) Employee(ctx context.Context, id string) (lab.Employee, error) {
	var e lab.Employee
	return e, s.doc(ctx, "employee", `SELECT doc FROM employees WHERE id = $1`, id, &e)
}

// Test reads one catalog entry.
func (s *DB) Test(ctx context.Context, code string) (lab.Test, error) {
	var t lab.Test
	return t, s.doc(ctx, "test", `SELECT doc FROM tests WHERE code = $1`, code, &t)
}

// Tests lists the catalog by code.
func (s *DB) Tests(ctx context.Context) ([]lab.Test, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT doc FROM tests ORDER BY code`)
	if err != nil {
		return nil, s.err("tests", err)
	}
	defer rows.Close()
	var out []lab.Test
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, s.err("tests", err)
		}
		var t lab.Test
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("decode test: %w", err)
		}
		out = append(out, t)
	}
	return out, s.err("tests", rows.Err())
}

// Order reads an order with its status, LIS state and results. An order
// known only from status events or results (not yet received itself) is
// still returned, with an empty order document.
func (s *DB) Order(ctx context.Context, accession string) (store.OrderView, error) {
	vs, err := s.OrderViews(ctx, []string{accession})
	if err != nil {
		return store.OrderView{}, err
	}
	v, ok := vs[accession]
	if !ok {
		return v, fmt.Errorf("order %s: %w", accession, store.ErrNotFound)
	}
	return v, nil
}

// OrderViews reads orders, statuses and results of many accessions with
// three queries per chunk.
func (s *DB) OrderViews(ctx context.Context, accessions []string) (map[string]store.OrderView, error) {
	out := make(map[string]store.OrderView, len(accessions))
	accessions = dedupe(accessions)
	for start := 0; start < len(accessions); start += chunkRows {
		chunk := accessions[start:min(start+chunkRows, len(accessions))]
		args := make([]any, len(chunk))
		for i, a := range chunk {
			args[i] = a
		}
		in := `(` + placeholders(1, len(chunk)) + `)`
		views := map[string]*store.OrderView{}
		view := func(acc string) *store.OrderView {
			v, ok := views[acc]
			if !ok {
				v = &store.OrderView{Order: lab.Order{AccessionNumber: acc}, Results: []lab.Result{}}
				views[acc] = v
			}
			return v
		}
		rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT accession, doc, lis_state, lis_detail, lis_at FROM orders WHERE accession IN `+in), args...)
		err = eachRow(rows, err, func(rows *sql.Rows) error {
			var acc string
			var doc []byte
			var lisAt int64
			var lis store.LISState
			if err := rows.Scan(&acc, &doc, &lis.State, &lis.Detail, &lisAt); err != nil {
				return err
			}
			v := view(acc)
			if err := json.Unmarshal(doc, &v.Order); err != nil {
				return fmt.Errorf("decode order %s: %w", acc, err)
			}
			lis.At = fromMicros(lisAt)
			v.LIS, v.Status = lis, v.Order.Status
			return nil
		})
		if err != nil {
			return nil, s.err("orders", err)
		}
		rows, err = s.db.QueryContext(ctx, s.d.rebind(`SELECT accession, status, status_at FROM order_status WHERE accession IN `+in), args...)
		err = eachRow(rows, err, func(rows *sql.Rows) error {
			var acc, st string
			var at int64
			if err := rows.Scan(&acc, &st, &at); err != nil {
				return err
			}
			v := view(acc)
			v.Status, v.StatusAt = lab.Status(st), fromMicros(at)
			return nil
		})
		if err != nil {
			return nil, s.err("order status", err)
		}
		rows, err = s.db.QueryContext(ctx, s.d.rebind(`SELECT accession, doc FROM results WHERE accession IN `+in+` ORDER BY accession, test_code`), args...)
		err = eachRow(rows, err, func(rows *sql.Rows) error {
			var acc string
			var doc []byte
			if err := rows.Scan(&acc, &doc); err != nil {
				return err
			}
			var r lab.Result
			if err := json.Unmarshal(doc, &r); err != nil {
				return fmt.Errorf("decode result of %s: %w", acc, err)
			}
			v := view(acc)
			v.Results = append(v.Results, r)
			return nil
		})
		if err != nil {
			return nil, s.err("results", err)
		}
		for acc, v := range views {
			out[acc] = *v
		}
	}
	return out, nil
}

// CustomerTiers reads the tiers of known customers.
func (s *DB) CustomerTiers(ctx context.Context, ids []string) (map[string]lab.Tier, error) {
	out := make(map[string]lab.Tier, len(ids))
	ids = dedupe(ids)
	for start := 0; start < len(ids); start += chunkRows {
		chunk := ids[start:min(start+chunkRows, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT id, tier FROM customers WHERE id IN (`+placeholders(1, len(chunk))+`)`), args...)
		err = eachRow(rows, err, func(rows *sql.Rows) error {
			var id, tier string
			if err := rows.Scan(&id, &tier); err != nil {
				return err
			}
			out[id] = lab.Tier(tier)
			return nil
		})
		if err != nil {
			return nil, s.err("customer tiers", err)
		}
	}
	return out, nil
}
