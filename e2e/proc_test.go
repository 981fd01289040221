package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const adminKey = "e2e-admin-key-0123456789abcdef"

var impBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "imp-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	impBin = filepath.Join(dir, "imp")
	out, err := exec.Command("go", "build", "-o", impBin, "../cmd/imp").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build imp: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is one running `imp` subprocess.
type proc struct {
	cmd  *exec.Cmd
	base string
	logs *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs `imp <args>` on dataDir and waits until /readyz answers.
func start(t *testing.T, dataDir string, extraEnv []string, args ...string) *proc {
	t.Helper()
	httpAddr := freePort(t)
	cmd := exec.Command(impBin, args...)
	cmd.Env = append(os.Environ(),
		"IMP_DATA_DIR="+dataDir,
		"IMP_HTTP_ADDR="+httpAddr,
		"IMP_KAFKA_LISTEN=127.0.0.1:0",
		"IMP_MLLP_ADDR=127.0.0.1:0",
		"IMP_ADMIN_KEY="+adminKey,
		"IMP_PARTITIONS=3",
		"IMP_LOG_LEVEL=info",
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, base: "http://" + httpAddr, logs: logs, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done //nolint:errcheck // it exits by the kill
		if t.Failed() {
			t.Logf("imp output:\n%s", tail(logs.String(), 60))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("imp exited during start: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("imp not ready in time:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done //nolint:errcheck // killed: the exit error says so
	p.done <- nil
}

// stop sends SIGTERM and waits for a clean exit within limit.
func (p *proc) stop(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("imp exited with %v after SIGTERM", err)
		}
	case <-time.After(limit):
		t.Fatalf("imp did not exit within %v of SIGTERM", limit)
	}
	return time.Since(start)
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func post(ctx context.Context, base, path string, body any) (int, map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, "POST", base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}

func get(base, path string) (int, map[string]any, error) {
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}
