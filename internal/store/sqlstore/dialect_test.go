package sqlstore

import "testing"

func TestRebind(t *testing.T) {
	t.Parallel()
	sqlite := Dialect{NumberedParams: true}
	cases := map[string]string{
		`SELECT a FROM t WHERE x = $1 AND y = $2`: `SELECT a FROM t WHERE x = ? AND y = ?`,
		`VALUES ($1,$2,$3),($4,$5,$6)`:            `VALUES (?,?,?),(?,?,?)`,
		`UPDATE t SET a = $2 WHERE b = $1`:        `UPDATE t SET a = ?2 WHERE b = ?1`,
		`SELECT $1 WHERE a = $1`:                  `SELECT ?1 WHERE a = ?1`,
		`SELECT 1`:                                `SELECT 1`,
	}
	for in, want := range cases {
		if got := sqlite.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
	pg := Dialect{}
	if got := pg.rebind(`x = $1`); got != `x = $1` {
		t.Errorf("postgres rebind changed the query: %q", got)
	}
}
