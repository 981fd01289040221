// Command startup measures how long `imp serve` takes from exec to a
// ready /readyz on a fresh data directory and on a restart, and its idle
// resident memory after it settles.
//
//	go build -o /tmp/imp ./cmd/imp && go run ./bench/startup -imp /tmp/imp
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("imp", "imp", "path of the imp binary")
	runs := flag.Int("runs", 5, "restarts to time")
	idle := flag.Duration("idle", 5*time.Second, "how long to let it settle before reading RSS")
	flag.Parse()
	dir, err := os.MkdirTemp("", "imp-startup")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	var times []time.Duration
	var rss string
	for i := 0; i <= *runs; i++ {
		d, r, err := once(*bin, dir, i == *runs, *idle)
		if err != nil {
			fail(err)
		}
		times = append(times, d)
		if r != "" {
			rss = r
		}
	}
	fmt.Printf("first start (fresh data dir): %v\n", times[0].Round(time.Millisecond))
	var sum time.Duration
	for _, d := range times[1:] {
		sum += d
	}
	fmt.Printf("restart on existing data, mean of %d: %v\n", len(times)-1, (sum / time.Duration(len(times)-1)).Round(time.Millisecond))
	fmt.Printf("idle RSS after %v: %s\n", *idle, rss)
}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// once starts imp, waits for /readyz, optionally reads RSS, stops it.
func once(bin, dir string, measureRSS bool, idle time.Duration) (time.Duration, string, error) {
	addr := freeAddr()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "IMP_DATA_DIR="+dir, "IMP_HTTP_ADDR="+addr, "IMP_KAFKA_LISTEN=127.0.0.1:0",
		"IMP_MLLP_ADDR=127.0.0.1:0", "IMP_ADMIN_KEY=startup-bench-key-0123456789", "IMP_LOG_LEVEL=warn")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, "", err
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 30*time.Second {
			return 0, "", fmt.Errorf("not ready after 30s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	ready := time.Since(start)
	if !measureRSS {
		return ready, "", nil
	}
	time.Sleep(idle)
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return ready, "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return ready, strings.TrimSpace(v), nil
		}
	}
	return ready, "?", nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "startup:", err)
	os.Exit(1)
}
