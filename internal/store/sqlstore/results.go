package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// ApplyResults stores results that are newer than the stored ones under
// lab.Result.Newer: version, then status rank, then updated_at — compared
// as one row value in SQL so concurrent writers cannot interleave.
func (t *txn) ApplyResults(ctx context.Context, rs []lab.Result) (map[string]bool, error) {
	rs = newest(rs, lab.Result.ResultKey, lab.Result.Newer)
	applied := make(map[string]bool, len(rs))
	cols := "accession, test_code, version, status_rank, result_updated, customer_id, tier, doc"
	for start := 0; start < len(rs); start += chunkRows {
		chunk := rs[start:min(start+chunkRows, len(rs))]
		args := make([]any, 0, len(chunk)*8)
		for _, r := range chunk {
			doc, err := docOf(r)
			if err != nil {
				return nil, err
			}
			args = append(args, r.AccessionNumber, r.TestCode, r.Version, r.Status.Rank(), micros(r.UpdatedAt), r.CustomerID, string(r.Tier), doc)
		}
		q := `INSERT INTO results (` + cols + `) VALUES ` + values(len(chunk), 8) + `
			ON CONFLICT (accession, test_code) DO UPDATE SET version = excluded.version,
				status_rank = excluded.status_rank, result_updated = excluded.result_updated,
				customer_id = excluded.customer_id, tier = excluded.tier, doc = excluded.doc
			WHERE (excluded.version, excluded.status_rank, excluded.result_updated) >
				(results.version, results.status_rank, results.result_updated)
			RETURNING accession, test_code`
		rows, err := t.tx.QueryContext(ctx, t.s.d.rebind(q), args...)
		err = eachRow(rows, err, func(rows *sql.Rows) error {
			var acc, code string
			if err := rows.Scan(&acc, &code); err != nil {
				return err
			}
			applied[acc+"/"+code] = true
			return nil
		})
		if err != nil {
			return nil, t.s.err("apply results", err)
		}
	}
	return applied, nil
}

// ApplyStatus applies status events under lab.ShouldApply. Events are
// folded in order per accession, so a batch holding several events of one
// order ends at the right status.
func (t *txn) ApplyStatus(ctx context.Context, evs []lab.StatusEvent) (map[int]bool, error) {
	type cur struct {
		status lab.Status
		at     time.Time
		doc    string
		dirty  bool
	}
	state := map[string]*cur{}
	var accs []string
	for _, e := range evs {
		if _, ok := state[e.AccessionNumber]; !ok {
			state[e.AccessionNumber] = &cur{}
			accs = append(accs, e.AccessionNumber)
		}
	}
	for start := 0; start < len(accs); start += chunkRows {
		chunk := accs[start:min(start+chunkRows, len(accs))]
		args := make([]any, len(chunk))
		for i, a := range chunk {
			args[i] = a
		}
		rows, err := t.tx.QueryContext(ctx, t.s.d.rebind(`SELECT accession, status, status_at FROM order_status WHERE accession IN (`+placeholders(1, len(chunk))+`)`), args...)
		err = eachRow(rows, err, func(rows *sql.Rows) error {
			var acc, st string
			var at int64
			if err := rows.Scan(&acc, &st, &at); err != nil {
				return err
			}
			state[acc].status, state[acc].at = lab.Status(st), fromMicros(at)
			return nil
		})
		if err != nil {
			return nil, t.s.err("read status", err)
		}
	}
	applied := map[int]bool{}
	for i, e := range evs {
		c := state[e.AccessionNumber]
		if !lab.ShouldApply(c.status, c.at, e) {
			continue
		}
		doc, err := docOf(e)
		if err != nil {
			return nil, err
		}
		c.status, c.at, c.doc, c.dirty = e.Status, e.At, doc, true
		applied[i] = true
	}
	for _, acc := range accs {
		c := state[acc]
		if !c.dirty {
			continue
		}
		_, err := t.tx.ExecContext(ctx, t.s.d.rebind(`INSERT INTO order_status (accession, status, status_at, doc) VALUES ($1, $2, $3, $4)
			ON CONFLICT (accession) DO UPDATE SET status = excluded.status, status_at = excluded.status_at, doc = excluded.doc`),
			acc, string(c.status), micros(c.at), c.doc)
		if err != nil {
			return nil, t.s.err("write status", err)
		}
	}
	return applied, nil
}

// SetLISState records the LIS's answer for an order.
func (t *txn) SetLISState(ctx context.Context, accession string, st store.LISState) error {
	res, err := t.tx.ExecContext(ctx, t.s.d.rebind(`UPDATE orders SET lis_state = $1, lis_detail = $2, lis_at = $3 WHERE accession = $4`),
		st.State, st.Detail, micros(st.At), accession)
	if err != nil {
		return t.s.err("set lis state", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("set lis state of %s: %w", accession, store.ErrNotFound)
	}
	return nil
}

// OrderResults reads an order and its results in the transaction.
func (t *txn) OrderResults(ctx context.Context, accession string) (lab.Order, []lab.Result, error) {
	var o lab.Order
	var doc []byte
	err := t.tx.QueryRowContext(ctx, t.s.d.rebind(`SELECT doc FROM orders WHERE accession = $1`), accession).Scan(&doc)
	if err != nil {
		return o, nil, t.s.err("order", err)
	}
	if err := json.Unmarshal(doc, &o); err != nil {
		return o, nil, fmt.Errorf("decode order %s: %w", accession, err)
	}
	rs, err := queryResults(ctx, t.tx, t.s, accession)
	return o, rs, err
}

// queryer is what *sql.DB and *sql.Tx share.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryResults reads an order's results ordered by test code.
func queryResults(ctx context.Context, q queryer, s *DB, accession string) ([]lab.Result, error) {
	rows, err := q.QueryContext(ctx, s.d.rebind(`SELECT doc FROM results WHERE accession = $1 ORDER BY test_code`), accession)
	if err != nil {
		return nil, s.err("results", err)
	}
	defer rows.Close()
	var out []lab.Result
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, s.err("results", err)
		}
		var r lab.Result
		if err := json.Unmarshal(doc, &r); err != nil {
			return nil, fmt.Errorf("decode result of %s: %w", accession, err)
		}
		out = append(out, r)
	}
	return out, s.err("results", rows.Err())
}
