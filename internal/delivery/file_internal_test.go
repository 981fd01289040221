package delivery

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestClassifyFS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err       error
		permanent bool
	}{
		{syscall.ENOSPC, false},
		{syscall.EACCES, false},
		{syscall.EROFS, false},
		{syscall.EIO, false},
		{syscall.ENOTDIR, true},
		{syscall.ENAMETOOLONG, true},
		{syscall.EISDIR, true},
	}
	for _, tc := range cases {
		err := classifyFS("write", &fs.PathError{Op: "open", Path: "/drop/result/PHI-secret-id.pdf", Err: tc.err})
		if IsPermanent(err) != tc.permanent {
			t.Errorf("%v: permanent = %v, want %v", tc.err, IsPermanent(err), tc.permanent)
		}
		want := ErrUnavailable
		if tc.permanent {
			want = ErrRejected
		}
		if !errors.Is(err, want) {
			t.Errorf("%v: %v does not wrap %v", tc.err, err, want)
		}
		if s := fmt.Sprint(err); strings.Contains(s, "PHI-secret-id") {
			t.Errorf("error names the path: %s", s)
		}
	}
}
