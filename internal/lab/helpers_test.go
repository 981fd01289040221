package lab

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// wantFields fails unless err is a *ValidationError naming exactly fields,
// in order; with no fields it wants err to be nil.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	if len(fields) == 0 {
		if err != nil {
			t.Fatalf("want no error, got %v", err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError naming %v, got %v", fields, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(%v, ErrInvalid) = false", err)
	}
	got := make([]string, len(ve.Fields))
	for i, f := range ve.Fields {
		got[i] = f.Field
		if f.Reason == "" {
			t.Errorf("field %s has no reason", f.Field)
		}
	}
	if !slices.Equal(got, fields) {
		t.Fatalf("fields = %v, want %v (%v)", got, fields, err)
	}
}

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
