package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/imp-health/imp/internal/app"
	"github.com/imp-health/imp/internal/config"
	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/dashboard"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
)

// Browser tests drive the dashboard in headless Chromium (Debian's
// chromium package, which .ci/prereqs installs) against a real in-process
// IMP: embedded broker, SQLite store, the API and the consumers.

const browserAdminKey = "browser-test-admin-key-0123456789"

func chromiumPath() string {
	for _, p := range []string{os.Getenv("IMP_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// artifactsDir is where screenshots go: $IMP_ARTIFACTS_DIR/dashboard, so
// CI keeps them, or a temporary directory.
func artifactsDir(t *testing.T) string {
	dir := t.TempDir()
	if base := os.Getenv("IMP_ARTIFACTS_DIR"); base != "" {
		dir = filepath.Join(base, "dashboard")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// fakeLIS accepts orders, except the accession numbers it is told to
// reject (an AE acknowledgement, which dead-letters the order at once).
type fakeLIS struct {
	mu     sync.Mutex
	reject map[string]bool
	sent   []string
}

func (l *fakeLIS) SendOrder(_ context.Context, _ string, o lab.Order, _ lab.Customer, _ map[string]lab.Test) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reject[o.AccessionNumber] {
		return consumer.Permanent(fmt.Errorf("LIS answered AE: specimen type not accepted for %s", o.AccessionNumber))
	}
	l.sent = append(l.sent, o.AccessionNumber)
	return nil
}

func (l *fakeLIS) accept(accession string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.reject, accession)
}

// browserIMP is one in-process `imp serve` with the dashboard mounted
// under /ui/ next to it.
type browserIMP struct {
	t    *testing.T
	app  *app.App
	api  string
	dash *dashboard.Handler
	srv  *httptest.Server
	ui   string
	lis  *fakeLIS
}

func startIMP(t *testing.T) *browserIMP {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.KafkaListen = "127.0.0.1:0"
	cfg.MLLPAddr = "" // no MLLP listener: the tests post over REST
	cfg.AdminKey = browserAdminKey
	cfg.Partitions = 2
	cfg.ShutdownTimeout = 10 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if _, err := a.EnsureAdminKey(ctx); err != nil {
		t.Fatal(err)
	}
	lis := &fakeLIS{reject: map[string]bool{"A-REJ-1": true}}
	a.LIS = lis
	// The employee consumer is held back (not started), so its lag rises
	// while employees are posted.
	defs, err := consumer.Select(nil, nil, []string{"employee"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := a.Start(ctx, app.Parts{API: true, Consumers: defs})
	if err != nil {
		t.Fatal(err)
	}
	b := &browserIMP{t: t, app: a, api: "http://" + run.HTTPAddr, lis: lis}
	b.dash = dashboard.New(dashboard.Options{
		Store: a.Store, Admin: a.Admin, Broker: a.Broker, Topics: a.Topics, Keys: a.Keys, Operator: a.Operator(),
		Ready: a.Ready, Enabled: a.Enabled(), Inventory: a.Inventory, Logger: log, BasePath: "/ui/",
		RefreshInterval: 300 * time.Millisecond,
	})
	mux := http.NewServeMux()
	mux.Handle("/ui/", b.dash)
	b.srv = httptest.NewServer(mux)
	b.ui = b.srv.URL + "/ui/"
	t.Cleanup(func() {
		b.dash.Close()
		b.srv.Close()
		cancel()
		if err := run.Wait(); err != nil {
			t.Errorf("imp: %v", err)
		}
		a.Close()
	})
	return b
}

// post sends a record to IMP's API and returns the accepted message id.
func (b *browserIMP) post(path string, body any) string {
	b.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", b.api+path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+browserAdminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		b.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
	}
	var acc struct {
		MessageID string `json:"message_id"`
	}
	_ = json.Unmarshal(out, &acc)
	return acc.MessageID
}

// waitTracked waits until consumer tracked message id with status (any
// status when empty).
func (b *browserIMP) waitTracked(id, consumerName, status string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		recs, err := b.app.Store.Messages(context.Background(), store.MessageQuery{MessageID: id, Consumer: consumerName})
		if err != nil {
			b.t.Fatal(err)
		}
		if len(recs) > 0 && (status == "" || recs[0].Status == status) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("message %s at %s never became %s (now %v)", id, consumerName, status, recs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tab is one browser tab with helpers that fail the test.
type tab struct {
	t   *testing.T
	ctx context.Context
	dir string
	ui  string
}

func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		html, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		tb.t.Fatalf("%s: %v\npage text:\n%s", what, err, html)
	}
}

func (tb *tab) open(path string, waitFor string) {
	tb.t.Helper()
	tb.do("open "+path, chromedp.Navigate(tb.ui+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// body is the page's visible text.
func (tb *tab) body() string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		tb.t.Fatal(err)
	}
	return s
}

func (tb *tab) location() string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		tb.t.Fatal(err)
	}
	return s
}

// shot saves a full-page PNG of the current page.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(tb.dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// login signs in; with a one-time password it then chooses pw.
func (tb *tab) login(user, password, newPassword string) {
	tb.t.Helper()
	tb.open("login", "#login-form")
	tb.do("sign in as "+user,
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
	)
	if newPassword == "" {
		tb.do("overview after sign-in", chromedp.WaitVisible(chromedp.CSS("#overview-consumers")))
		return
	}
	tb.do("forced password change", chromedp.WaitVisible(chromedp.CSS("#password-form")))
	tb.do("choose a password",
		chromedp.SendKeys(chromedp.CSS("#current"), password),
		chromedp.SendKeys(chromedp.CSS("#new"), newPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), newPassword),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#overview-consumers")),
	)
}

func (tb *tab) logout() {
	tb.t.Helper()
	tb.do("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
}

// waitFor polls the page until cond holds (pages are reloaded by the
// caller's action when reload is set; otherwise only live updates count).
func (tb *tab) waitFor(what string, timeout time.Duration, cond func() bool) {
	tb.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.t.Fatalf("timed out waiting for %s; page:\n%s", what, tb.body())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func number(s string) int {
	n, _ := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
	return n
}

// TestBrowser is the dashboard's story in a real browser: first sign-in,
// a consumer's lag rising live while a burst is posted, a dead letter
// found by order accession and re-pushed by an operator until processed,
// and a viewer seeing masked PHI. It saves a screenshot of each page.
func TestBrowser(t *testing.T) {
	t.Parallel()
	path := chromiumPath()
	if path == "" {
		t.Skip("chromium is not installed (Debian: apt-get install chromium; .ci/prereqs does it): skipping the browser tests")
	}
	if testing.Short() {
		t.Skip("browser tests are skipped in -short mode")
	}
	start := time.Now()
	step := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }
	imp := startIMP(t)
	step("IMP started")
	dir := artifactsDir(t)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(alloc)
	defer cancelTab()
	if err := chromedp.Do(ctx); err != nil { // start the browser without a timeout
		t.Fatalf("start chromium: %v", err)
	}
	tb := &tab{t: t, ctx: ctx, dir: dir, ui: imp.ui}
	step("chromium started")

	// Master data, an order the LIS accepts and one it rejects.
	custID := imp.post("/v1/customers", map[string]any{"id": "C-1", "tier": "general", "given_name": "Ada", "family_name": "Lovelace",
		"birth_date": "1980-04-02", "sex": "F", "email": "ada@example.org", "phone": "+41 44 123 45 67"})
	testID := imp.post("/v1/tests", map[string]any{"code": "GLU", "name": "Glucose", "specimen_type": "serum", "unit": "mg/dL",
		"value_type": "numeric", "tat_minutes": 60, "active": true})
	imp.waitTracked(custID, "customer", "processed")
	imp.waitTracked(testID, "lis-test-master", "processed")
	order := func(acc string) string {
		return imp.post("/v1/orders", map[string]any{"accession_number": acc, "customer_id": "C-1",
			"ordering_clinician": map[string]any{"id": "DR-9", "name": "Dr. Who"}, "tests": []any{map[string]any{"code": "GLU"}},
			"specimens": []any{map[string]any{"id": "S-1", "type": "serum"}}, "ordered_at": time.Now().UTC().Format(time.RFC3339)})
	}
	okID := order("A-OK-1")
	rejID := order("A-REJ-1")
	// Two background jobs; the Jobs page lists whatever became of them.
	jobIDs := []string{
		imp.post("/v1/jobs", map[string]any{"kind": "default", "args": map[string]any{"task": "prune-tracking", "older_than": "8760h"}}),
		imp.post("/v1/jobs", map[string]any{"kind": "pdf-report", "args": map[string]any{"accession_number": "A-OK-1"}}),
	}
	imp.waitTracked(okID, "lis-orders", "processed")
	imp.waitTracked(rejID, "lis-orders", "dead")
	for _, id := range jobIDs {
		imp.waitTracked(id, "worker", "")
	}

	step("master data and orders handled")

	// 1. First sign-in of the admin with the one-time password.
	_, otp, created, err := dashboard.EnsureAdmin(context.Background(), imp.app.Store)
	if err != nil || !created {
		t.Fatalf("EnsureAdmin: %v %v", created, err)
	}
	tb.do("anonymous visit", chromedp.Navigate(imp.ui), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	if loc := tb.location(); !strings.Contains(loc, "/ui/login") {
		t.Fatalf("anonymous visit ended at %s, want the login page", loc)
	}
	tb.shot("01-login")
	tb.do("sign in with the one-time password",
		chromedp.SendKeys(chromedp.CSS("#username"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#password"), otp),
		chromedp.Click(chromedp.CSS("#login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#password-form")),
	)
	tb.shot("02-password-change")
	tb.do("choose a password",
		chromedp.SendKeys(chromedp.CSS("#current"), otp),
		chromedp.SendKeys(chromedp.CSS("#new"), adminPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), adminPassword),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#overview-consumers")),
	)

	step("admin signed in")

	// 2. The admin adds an operator and a viewer, and an API key.
	newUser := func(name, role string) string {
		tb.open("users", "#user-create")
		tb.do("create "+name,
			chromedp.SendKeys(chromedp.CSS("#new-username"), name),
			chromedp.SetValue(chromedp.CSS("#new-role"), role),
			chromedp.Click(chromedp.CSS("#user-create-submit")),
			chromedp.WaitVisible(chromedp.CSS("#otp")),
		)
		return tb.text("#otp")
	}
	olgaOTP := newUser("olga", "operator")
	victorOTP := newUser("victor", "viewer")
	tb.shot("10-users")
	tb.open("keys", "#key-create")
	tb.do("create an API key",
		chromedp.SendKeys(chromedp.CSS(`#key-create input[name="name"]`), "clinic-north order feed"),
		chromedp.Click(chromedp.CSS(`#key-create input[value="orders:write"]`)),
		chromedp.Click(chromedp.CSS(`#key-create button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#token")),
	)
	if tok := tb.text("#token"); !strings.HasPrefix(tok, "imp_") {
		t.Fatalf("API key token = %q", tok)
	}
	tb.shot("11-api-keys")

	step("users and key created")

	// 3. Lag rises live on the overview while employees are posted to a
	// stream whose consumer is not running; the page is not reloaded.
	tb.open("", "#overview-consumers")
	before := number(tb.text("#lag-employee"))
	tb.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`))
	const burst = 40
	for i := range burst {
		imp.post("/v1/employees", map[string]any{"id": fmt.Sprintf("E-%03d", i), "family_name": "Sample", "role": "courier", "active": true})
	}
	tb.waitFor("the employee lag to rise on the overview", 15*time.Second, func() bool {
		return number(tb.text("#lag-employee")) >= before+burst
	})
	if still, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__notReloaded === true`)); err != nil || !still {
		t.Fatalf("the overview reloaded instead of updating live (%v)", err)
	}
	step("lag rose live")
	tb.shot("03-overview")
	tb.open("consumers", "#consumers")
	if got := number(tb.text("#clag-employee")); got < burst {
		t.Fatalf("consumers page shows employee lag %d, want at least %d", got, burst)
	}
	tb.shot("04-consumers")
	tb.open("consumers/employee", "#partitions")
	tb.shot("05-consumer-employee")
	tb.open("messages?order=A-OK-1", "#message-search")
	if !strings.Contains(tb.body(), okID) {
		t.Fatalf("search by order does not list %s", okID)
	}
	tb.shot("06-messages")
	tb.logout()

	step("consumer and message pages seen")

	// 4. The operator finds the dead letter by order accession and
	// re-pushes it; once the LIS accepts, it becomes processed.
	tb.login("olga", olgaOTP, operatorPassword)
	tb.open("dead-letters", "#dead-filter")
	tb.do("filter by order", chromedp.SendKeys(chromedp.CSS("#d-order"), "A-REJ-1"), chromedp.Click(chromedp.CSS("#dead-search")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="sel"][value="lis-orders/`+rejID+`"]`)))
	if !strings.Contains(tb.body(), "specimen type not accepted") {
		t.Fatalf("the dead letter's reason is not shown:\n%s", tb.body())
	}
	tb.shot("07-dead-letters")
	imp.lis.accept("A-REJ-1")
	tb.do("select and re-push",
		chromedp.Click(chromedp.CSS(`input[name="sel"][value="lis-orders/`+rejID+`"]`)),
		chromedp.Click(chromedp.CSS("#repush-selected")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-yes")),
	)
	tb.shot("08-confirm-repush")
	tb.do("confirm", chromedp.Click(chromedp.CSS("#confirm-yes")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if msg := tb.text("#flash"); !strings.Contains(msg, "Re-pushed 1 dead letter") {
		t.Fatalf("flash after re-push = %q", msg)
	}
	tb.waitFor("the re-pushed order to be processed", 20*time.Second, func() bool {
		tb.open("messages/"+rejID, "#records")
		return strings.Contains(tb.text("#records .status-cell"), "processed")
	})
	if tl := tb.text("#timeline"); !strings.Contains(tl, "repushed") || !strings.Contains(tl, "ui:olga") || !strings.Contains(tl, "dead") {
		t.Fatalf("timeline lacks dead → repushed by ui:olga → processed:\n%s", tl)
	}
	step("re-pushed dead letter processed")
	tb.shot("09-message-processed")

	// The operator sees the customer's payload unmasked.
	tb.open("messages/"+custID, "#show-payload-0")
	tb.do("show payload", chromedp.Click(chromedp.CSS("#show-payload-0")), chromedp.WaitVisible(chromedp.CSS("#payload-body")))
	if p := tb.text("#payload-body"); !strings.Contains(p, "Lovelace") || !strings.Contains(p, "1980-04-02") {
		t.Fatalf("operator's payload is masked:\n%s", p)
	}
	tb.shot("12-payload-operator")
	tb.open("jobs", "#jobs")
	for _, id := range jobIDs {
		if !strings.Contains(tb.body(), id) {
			t.Errorf("the jobs page lacks job %s", id)
		}
	}
	tb.shot("13-jobs")
	tb.open("inventory", "#inventory")
	if !strings.Contains(tb.body(), "worker-pdf") {
		t.Fatal("the inventory lacks the seed's worker-pdf")
	}
	tb.shot("14-inventory")
	tb.open("audit", "#audit")
	if body := tb.body(); !strings.Contains(body, "repush") || !strings.Contains(body, "message.view") {
		t.Fatalf("audit log lacks the re-push or the view:\n%s", body)
	}
	tb.shot("15-audit")
	tb.logout()

	step("operator pages seen")

	// 5. A viewer sees the same payload with the patient masked, and no
	// re-push controls.
	tb.login("victor", victorOTP, viewerPassword)
	tb.open("messages/"+custID, "#show-payload-0")
	tb.do("show payload", chromedp.Click(chromedp.CSS("#show-payload-0")), chromedp.WaitVisible(chromedp.CSS("#payload-body")))
	p := tb.text("#payload-body")
	for _, phi := range []string{"Lovelace", "Ada", "1980-04-02", "ada@example.org", "123 45 67"} {
		if strings.Contains(p, phi) {
			t.Errorf("viewer sees %q in the payload:\n%s", phi, p)
		}
	}
	if !strings.Contains(p, "***") || !strings.Contains(p, "C-1") {
		t.Errorf("viewer's payload should keep the id and mask the rest:\n%s", p)
	}
	tb.shot("16-payload-viewer")
	tb.open("dead-letters?state=any", "#dead-table")
	if strings.Contains(tb.body(), "Re-push selected") {
		t.Error("a viewer is offered re-push")
	}
	tb.shot("17-dead-letters-viewer")
	step("viewer pages seen")
}
