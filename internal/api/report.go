package api

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/imp-health/imp/internal/store"
)

// getReport serves an order's PDF report: the newest version, or the one
// asked for.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	acc := r.PathValue("accession")
	want := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeProblem(w, r, problem(http.StatusBadRequest, probBadQuery, "Bad query", "version must be a positive integer"))
			return
		}
		want = n
	}
	reps, err := s.opt.Store.Reports(r.Context(), acc)
	if err != nil {
		s.writeStoreError(w, r, err)
		return
	}
	var rep store.Report
	for _, x := range reps {
		if want == 0 || x.Version == want {
			rep = x
			break
		}
	}
	if rep.ID == "" {
		s.writeStoreError(w, r, store.ErrNotFound)
		return
	}
	f, err := os.Open(rep.Path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			s.writeStoreError(w, r, store.ErrNotFound)
			return
		}
		s.writeStoreError(w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filepath.Base(rep.Path)+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-IMP-Report-Version", strconv.Itoa(rep.Version))
	http.ServeContent(w, r, "", rep.CreatedAt, f)
}
