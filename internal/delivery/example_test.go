package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/imp-health/imp/internal/delivery"
)

// A receiver checks every webhook request before trusting it.
func ExampleVerifySignature() {
	const secret = "shared-secret"
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		err = delivery.VerifySignature(secret, r.Header.Get("X-IMP-Timestamp"), string(body),
			r.Header.Get("X-IMP-Signature"), 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized) // 401: permanent for the sender
			return
		}
		// Deduplicate on Idempotency-Key, then store the body.
		w.WriteHeader(http.StatusNoContent)
	})

	body := `{"order":"A-1"}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	for _, sig := range []string{delivery.Sign(secret, ts, []byte(body)), delivery.Sign("guess", ts, []byte(body))} {
		req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
		req.Header.Set("X-IMP-Timestamp", ts)
		req.Header.Set("X-IMP-Signature", sig)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}
	// Output:
	// 204
	// 401
}

// A consumer delivers and lets the error's class decide between retry and
// dead-letter queue.
func ExampleNewFile() {
	dir, _ := os.MkdirTemp("", "pdf-store")
	defer os.RemoveAll(dir)

	store := delivery.NewFile(delivery.FileOptions{Dir: dir})
	defer store.Close()
	to := delivery.Destination{Connector: delivery.ConnectorFile, Name: "pdf-store"}

	r, err := store.Deliver(context.Background(), to, delivery.Message{
		ID: "0190aaaa-7abc-7def-8abc-000000000001", Kind: "report",
		ContentType: "application/pdf", Body: []byte("%PDF-1.7 ..."),
	})
	fmt.Println(filepath.Rel(dir, r.Path))
	fmt.Println(err)

	_, err = store.Deliver(context.Background(), to, delivery.Message{ID: "../../etc/passwd", Body: []byte("x")})
	fmt.Println(delivery.IsPermanent(err), errors.Is(err, delivery.ErrBadMessage))
	// Output:
	// report/0190aaaa-7abc-7def-8abc-000000000001.pdf <nil>
	// <nil>
	// true true
}
