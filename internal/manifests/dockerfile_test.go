package manifests

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

var root = filepath.Join("..", "..")

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct{ op, args string }

func parseDockerfile(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out  []instruction
		cur  strings.Builder
		scan = bufio.NewScanner(f)
	)
	for scan.Scan() {
		line := strings.TrimSpace(scan.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(op), strings.Join(strings.Fields(args), " ")})
		cur.Reset()
	}
	if err := scan.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDockerfile: a multi-stage build of a static binary on golang of the
// module's Go version, with module and build caches, into distroless as
// nonroot, with /imp as the entrypoint and serve as the default command.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	ins := parseDockerfile(t)
	args := map[string]string{}
	var stages [][]instruction
	for _, in := range ins {
		switch {
		case in.op == "ARG" && len(stages) == 0:
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		case in.op == "FROM":
			stages = append(stages, []instruction{in})
		case len(stages) > 0:
			stages[len(stages)-1] = append(stages[len(stages)-1], in)
		}
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string { return args[k] })
	}

	// The builder's Go is the module's.
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVer := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	build := stages[0]
	if want := "golang:" + string(goVer[1]); !strings.Contains(expand(build[0].args), want+" AS build") {
		t.Errorf("build stage %q, want FROM %s AS build (go.mod says go %s)", expand(build[0].args), want, goVer[1])
	}
	var buildCmd string
	for _, in := range build {
		if in.op == "RUN" && strings.Contains(in.args, "go build") {
			buildCmd = in.args
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags "-s -w `, "app.version=${VERSION}", "./cmd/imp",
		"--mount=type=cache,target=/go/pkg/mod", "--mount=type=cache,target=/root/.cache/go-build"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("the go build step %q lacks %s", buildCmd, want)
		}
	}

	final := stages[1]
	want := map[string]string{
		"FROM":       "gcr.io/distroless/static-debian12:nonroot",
		"USER":       "nonroot",
		"ENTRYPOINT": `["/imp"]`,
		"CMD":        `["serve"]`,
		"VOLUME":     `["/data"]`,
		"ENV":        "IMP_DATA_DIR=/data",
	}
	got := map[string]string{}
	for _, in := range final {
		got[in.op] = in.args
	}
	for op, w := range want {
		if got[op] != w {
			t.Errorf("runtime stage: %s %q, want %s %s", op, got[op], op, w)
		}
	}
	if i := slices.IndexFunc(final, func(in instruction) bool { return in.op == "USER" }); i != len(final)-3 {
		t.Errorf("USER should come right before ENTRYPOINT and CMD, so nothing after it runs as root")
	}
	for _, in := range final {
		if in.op == "RUN" {
			t.Errorf("RUN %q in the runtime stage: distroless has no shell", in.args)
		}
	}

	// The chart's data dir and user match the image's.
	r := renderT(t, release(nil))
	if r.values.Config.DataDir != "/data" {
		t.Errorf("chart config.dataDir %s, the image's volume is /data", r.values.Config.DataDir)
	}
	for _, d := range Find[*appsv1.Deployment](r.objs) {
		if u := d.Spec.Template.Spec.SecurityContext.RunAsUser; u == nil || *u != 65532 {
			t.Errorf("%s runs as uid %v, distroless's nonroot is 65532", d.Name, u)
		}
	}
}

// TestDockerignore keeps the build context to the module: no history, no
// local data (which may hold PHI), no build output.
func TestDockerignore(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	for _, want := range []string{".git", "/data", "/bin", "/imp", "*.test"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	for _, need := range []string{"go.mod", "go.sum", "cmd", "internal"} {
		if slices.Contains(lines, need) || slices.Contains(lines, "/"+need) {
			t.Errorf(".dockerignore excludes %s, which the build needs", need)
		}
	}
}

// pendingSubcommands are subcommands the chart already deploys while
// another change adds them to the binary; once they exist they are
// checked like the rest.
var pendingSubcommands = map[string]string{
	"dashboard": "internal/dashboard exists but the `imp dashboard` subcommand (dashboard + /healthz, /readyz, /metrics on IMP_HTTP_ADDR) is not wired into internal/cli yet",
}

// TestStaticBinary runs the Dockerfile's build command (there is no
// Docker engine in CI) and checks the result is a static executable that
// runs every subcommand the chart's workloads use. It compiles IMP without
// cgo from scratch when the build cache is cold (minutes), so -short skips
// it.
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds imp from scratch without cgo; run without -short")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "imp")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/imp")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./cmd/imp: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("imp has a dynamic loader (PT_INTERP): not static, it would not start on distroless/static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("imp links shared libraries %v", libs)
	}

	// Every command the chart runs exists in this binary.
	r := renderT(t, release(nil))
	seen := map[string]bool{}
	for _, d := range Find[*appsv1.Deployment](r.objs) {
		pod := d.Spec.Template.Spec
		for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
			if sub := c.Args[0]; !seen[sub] {
				seen[sub] = true
				out, err := exec.Command(bin, sub, "--help").CombinedOutput()
				if why, ok := pendingSubcommands[sub]; ok && err != nil {
					t.Logf("%s runs `imp %s`, not in the binary yet: %s", d.Name, sub, why)
					continue
				}
				if err != nil {
					t.Errorf("%s runs `imp %s`, which this binary does not have: %v\n%s", d.Name, sub, err, out)
				}
			}
		}
	}
	out, err := exec.Command(bin, "consume", "--list").CombinedOutput()
	if err != nil {
		t.Fatalf("imp consume --list: %v\n%s", err, out)
	}
	known := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			known[strings.TrimPrefix(f[0], "consumer-")] = true
		}
	}
	for _, name := range sortedKeys(r.values.Consumers) {
		if !known[name] {
			t.Errorf("consumers.%s is in the chart but `imp consume %s` would fail: the binary does not know it", name, name)
		}
	}
}
