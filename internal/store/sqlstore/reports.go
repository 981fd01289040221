package sqlstore

import (
	"context"

	"github.com/imp-health/imp/internal/store"
)

const reportCols = `report_id, accession, version, digest, path, size, created_at`

func scanReport(sc interface{ Scan(...any) error }) (store.Report, error) {
	var r store.Report
	var at int64
	err := sc.Scan(&r.ID, &r.Accession, &r.Version, &r.Digest, &r.Path, &r.Size, &at)
	r.CreatedAt = fromMicros(at)
	return r, err
}

// AddReport records a report version, numbering it per accession.
func (t *txn) AddReport(ctx context.Context, r store.Report) (store.Report, bool, error) {
	existing, err := scanReport(t.tx.QueryRowContext(ctx, t.s.d.rebind(`SELECT `+reportCols+` FROM reports WHERE accession = $1 AND digest = $2`), r.Accession, r.Digest))
	if err == nil {
		return existing, false, nil
	}
	if e := t.s.err("report", err); !isNotFound(e) {
		return r, false, e
	}
	if err := t.tx.QueryRowContext(ctx, t.s.d.rebind(`SELECT COALESCE(MAX(version), 0) + 1 FROM reports WHERE accession = $1`), r.Accession).Scan(&r.Version); err != nil {
		return r, false, t.s.err("report version", err)
	}
	_, err = t.tx.ExecContext(ctx, t.s.d.rebind(`INSERT INTO reports (`+reportCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`),
		r.ID, r.Accession, r.Version, r.Digest, r.Path, r.Size, micros(r.CreatedAt))
	return r, err == nil, t.s.err("add report", err)
}

// Reports lists an order's report versions, newest first.
func (s *DB) Reports(ctx context.Context, accession string) ([]store.Report, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+reportCols+` FROM reports WHERE accession = $1 ORDER BY version DESC`), accession)
	if err != nil {
		return nil, s.err("reports", err)
	}
	defer rows.Close()
	var out []store.Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, s.err("reports", err)
		}
		out = append(out, r)
	}
	return out, s.err("reports", rows.Err())
}
