package auth

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
)

func newKeys(t *testing.T, pepper string) (*Keys, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "imp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return NewKeys(st, pepper, time.Minute), st
}

func TestCreateVerifyRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, st := newKeys(t, "pepper")
	token, key, err := k.Create(ctx, "lis", []string{ScopeResultsWrite, ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "imp_"+key.ID+"_") {
		t.Fatalf("token %q does not carry its id %q", token, key.ID)
	}
	stored, _ := st.APIKey(ctx, key.ID)
	if strings.Contains(string(stored.Hash), token[len("imp_"+key.ID+"_"):]) {
		t.Fatal("the secret is stored in clear")
	}
	p, err := k.Verify(ctx, token)
	if err != nil || p.KeyID != key.ID || !p.Can(ScopeRead) || p.Can(ScopeOperate) {
		t.Fatalf("verify = %+v, %v", p, err)
	}
	for _, bad := range []string{"", token + "x", "imp_" + key.ID + "_wrongsecretwrongsecret", "Bearer " + token} {
		if _, err := k.Verify(ctx, bad); err == nil {
			t.Errorf("token %q verified", bad)
		}
	}
	if _, err := k.Verify(ctx, ""); !errors.Is(err, ErrNoKey) {
		t.Fatalf("empty token: %v", err)
	}
	if err := k.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Verify(ctx, token); !errors.Is(err, ErrKeyRevoked) {
		t.Fatalf("revoked key: %v", err)
	}
	if _, _, err := k.Create(ctx, "x", []string{"orders:delete"}); err == nil {
		t.Fatal("unknown scope accepted")
	}
}

func TestPepperMatters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, st := newKeys(t, "pepper-a")
	token, _, err := k.Create(ctx, "x", []string{ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	other := NewKeys(st, "pepper-b", time.Minute)
	if _, err := other.Verify(ctx, token); !errors.Is(err, ErrBadKey) {
		t.Fatalf("a different pepper verified the key: %v", err)
	}
}

func TestInstallOperatorChosenKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, _ := newKeys(t, "")
	const token = "my-automation-admin-key-123"
	if _, err := k.Install(ctx, "admin", token, []string{ScopeAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Install(ctx, "admin", token, []string{ScopeAdmin}); err != nil {
		t.Fatalf("reinstalling the same key: %v", err)
	}
	p, err := k.Verify(ctx, token)
	if err != nil || !p.Can(ScopeOperate) {
		t.Fatalf("admin verify = %+v, %v", p, err)
	}
}
