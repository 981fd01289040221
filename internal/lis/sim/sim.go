// Package sim is an LIS simulator: an MLLP server that accepts orders
// (ORM^O01, OML^O21), acknowledges them, reports the order in progress and,
// after a delay, sends back realistic results (ORU^R01, values drawn
// around each test's reference range, flagged) to IMP's MLLP listener;
// plus a webhook sink that records what partners would receive. With it a
// newcomer can post an order and watch the result reach a partner.
//
// It is a demo and test tool: it keeps everything in memory.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/mllp"
)

// Config configures the simulator.
type Config struct {
	// Listen is where the LIS takes orders (host:port; port 0 picks one).
	Listen string
	// IMP is IMP's MLLP listener, where results and statuses go.
	IMP string
	// StatusDelay and ResultDelay are how long after an order the LIS
	// reports it in progress and sends results.
	StatusDelay, ResultDelay time.Duration
	// Reject lists test codes the LIS refuses (AE), to show dead letters.
	Reject []string
	// Verifier is the employee id results are verified by.
	Verifier string
	Logger   *slog.Logger
}

// Sim is a running simulator.
type Sim struct {
	cfg    Config
	ln     net.Listener
	srv    *mllp.Server
	client *mllp.Client
	opt    hl7map.Options
	log    *slog.Logger

	mu     sync.Mutex
	orders int
	sent   int
	wg     sync.WaitGroup
}

// New listens for orders; Run serves them.
func New(cfg Config) (*Sim, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Verifier == "" {
		cfg.Verifier = "LIS-AUTOVERIFY"
	}
	if cfg.ResultDelay == 0 {
		cfg.ResultDelay = 2 * time.Second
	}
	if cfg.StatusDelay == 0 {
		cfg.StatusDelay = cfg.ResultDelay / 2
	}
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("sim: listen: %w", err)
	}
	client, err := mllp.NewClient(cfg.IMP, mllp.ClientConfig{PoolSize: 2, AckTimeout: 10 * time.Second, Logger: cfg.Logger})
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &Sim{cfg: cfg, ln: ln, client: client, log: cfg.Logger.With("component", "lis-simulator"),
		opt: hl7map.Options{SendingApplication: hl7.HD{NamespaceID: "LIS"}, SendingFacility: hl7.HD{NamespaceID: "LAB"},
			ReceivingApplication: hl7.HD{NamespaceID: "IMP"}, ReceivingFacility: hl7.HD{NamespaceID: "LAB"}}}
	s.srv, err = mllp.NewServer(mllp.ServerConfig{Handler: mllp.HandlerFunc(s.handle), Logger: cfg.Logger})
	if err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

// Addr is where the simulator takes orders.
func (s *Sim) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx ends, then waits for scheduled sends.
func (s *Sim) Run(ctx context.Context) error {
	s.log.Info("LIS simulator listening for orders", "addr", s.Addr(), "results_to", s.cfg.IMP)
	err := s.srv.Serve(ctx, s.ln)
	s.wg.Wait()
	_ = s.client.Close()
	if errors.Is(err, context.Canceled) || errors.Is(err, mllp.ErrClosed) {
		return nil
	}
	return err
}

// Stats says how many orders arrived and result messages went out.
func (s *Sim) Stats() (orders, resultsSent int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orders, s.sent
}

func (s *Sim) handle(ctx context.Context, raw []byte) []byte {
	m, err := hl7.Parse(raw)
	if err != nil {
		return hl7.ACKForError(raw, err).Encode()
	}
	if hl7map.Classify(m) != hl7map.KindOrder {
		return hl7.ACK(m, hl7.AR, hl7.WithText("this LIS takes orders only")).Encode()
	}
	orders, c, err := hl7map.DecodeOrders(m, hl7map.Options{})
	if err != nil {
		var me *hl7map.Error
		if errors.As(err, &me) {
			return hl7.ACK(m, me.AckCode(), hl7.WithError(me.Detail())).Encode()
		}
		return hl7.ACK(m, hl7.AE, hl7.WithText(err.Error())).Encode()
	}
	for _, o := range orders {
		for i, t := range o.Tests {
			if slices.Contains(s.cfg.Reject, t.Code) {
				return hl7.ACK(m, hl7.AE, hl7.WithError(hl7.ErrorDetail{
					Location: hl7.ERL{Segment: "OBR", Sequence: i + 1, Field: 4}, Code: hl7.CodeTableValueNotFound,
					Severity: hl7.SeverityError, Message: "test " + t.Code + " is not performed by this laboratory"})).Encode()
			}
		}
	}
	s.mu.Lock()
	s.orders += len(orders)
	s.mu.Unlock()
	for _, o := range orders {
		s.schedule(ctx, o, c)
	}
	return hl7.ACK(m, hl7.AA).Encode()
}

// schedule sends the in-progress status and then the results.
func (s *Sim) schedule(ctx context.Context, o lab.Order, c lab.Customer) {
	s.wg.Go(func() {
		if !sleep(ctx, s.cfg.StatusDelay) {
			return
		}
		s.send(ctx, s.statusMessage(o))
		if !sleep(ctx, s.cfg.ResultDelay-s.cfg.StatusDelay) {
			return
		}
		msg, err := s.resultsMessage(o, c)
		if err != nil {
			s.log.Warn("simulated results could not be encoded", "err", err)
			return
		}
		if s.send(ctx, msg) {
			s.mu.Lock()
			s.sent++
			s.mu.Unlock()
		}
	})
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(max(d, 0)):
		return true
	}
}

// send delivers a message to IMP, retrying a few times like an LIS would.
func (s *Sim) send(ctx context.Context, msg []byte) bool {
	for try := range 5 {
		ack, err := s.client.Send(ctx, msg)
		if err == nil {
			a, perr := hl7.Parse(ack)
			if perr == nil && a.MSA().AckCode() == "AA" {
				return true
			}
			s.log.Warn("IMP refused a simulated message", "ack", a.MSA().AckCode(), "text", a.MSA().Text())
			return false
		}
		if !sleep(ctx, time.Duration(try+1)*500*time.Millisecond) {
			return false
		}
	}
	return false
}

func (s *Sim) statusMessage(o lab.Order) []byte {
	m := hl7.NewMessage("ORM", "O01", "ORM_O01", hl7.Header{SendingApplication: s.opt.SendingApplication,
		SendingFacility: s.opt.SendingFacility, ReceivingApplication: s.opt.ReceivingApplication, ReceivingFacility: s.opt.ReceivingFacility})
	m.AddSegment("PID").Set(3, o.CustomerID)
	m.AddSegment("ORC").Set(1, "SC").Set(2, o.AccessionNumber).Set(5, "IP").Set(9, hl7.FormatTime(time.Now().UTC()))
	return m.Encode()
}

// resultsMessage draws a result for every test of the order.
func (s *Sim) resultsMessage(o lab.Order, c lab.Customer) ([]byte, error) {
	now := time.Now().UTC().Truncate(time.Second)
	rs := make([]lab.Result, 0, len(o.Tests))
	for _, t := range o.Tests {
		def := catalog(t.Code)
		value, flag := def.draw()
		rs = append(rs, lab.Result{AccessionNumber: o.AccessionNumber, TestCode: t.Code, Version: now.UnixMicro(),
			Value: value, Unit: def.unit, ReferenceRange: def.rangeText(), AbnormalFlag: flag, Status: lab.ResultFinal,
			ObservedAt: now.Add(-time.Minute), VerifiedBy: s.cfg.Verifier, VerifiedAt: now, CustomerID: o.CustomerID,
			PerformingLab: "SIMLAB", UpdatedAt: now})
	}
	if c.ID == "" {
		c.ID = o.CustomerID
	}
	if c.FamilyName == "" {
		c.FamilyName = "UNKNOWN"
	}
	b, _, err := hl7map.EncodeORU(o, c, rs, nil, s.opt)
	return b, err
}

// testDef is how the simulator draws a test's value.
type testDef struct {
	unit      string
	low, high float64
	decimals  int
	text      []string // qualitative results
}

var tests = map[string]testDef{
	"GLU":   {unit: "mmol/L", low: 3.9, high: 5.6, decimals: 1},
	"NA":    {unit: "mmol/L", low: 135, high: 145},
	"K":     {unit: "mmol/L", low: 3.5, high: 5.1, decimals: 1},
	"CREA":  {unit: "umol/L", low: 62, high: 106},
	"HGB":   {unit: "g/dL", low: 12, high: 17.5, decimals: 1},
	"WBC":   {unit: "10*9/L", low: 4, high: 11, decimals: 1},
	"ALT":   {unit: "U/L", low: 7, high: 56},
	"TSH":   {unit: "m[IU]/L", low: 0.4, high: 4, decimals: 2},
	"HBA1C": {unit: "%", low: 4, high: 5.6, decimals: 1},
	"CHOL":  {unit: "mmol/L", low: 3, high: 5.2, decimals: 1},
	"CRP":   {unit: "mg/L", low: 0, high: 5, decimals: 1},
	"HIV":   {text: []string{"Non-reactive"}},
	"COVID": {text: []string{"Not detected", "Not detected", "Detected"}},
}

func catalog(code string) testDef {
	if d, ok := tests[code]; ok {
		return d
	}
	return testDef{text: []string{"Negative", "Negative", "Positive"}}
}

func (d testDef) rangeText() string {
	if len(d.text) > 0 {
		return d.text[0]
	}
	return strconv.FormatFloat(d.low, 'f', d.decimals, 64) + "-" + strconv.FormatFloat(d.high, 'f', d.decimals, 64)
}

// draw picks a value: mostly within range, sometimes high or low.
func (d testDef) draw() (string, lab.AbnormalFlag) {
	if len(d.text) > 0 {
		v := d.text[rand.IntN(len(d.text))] //nolint:gosec // simulated lab values, not secrets
		if v != d.text[0] {
			return v, lab.FlagAbnormal
		}
		return v, lab.FlagNone
	}
	mid, span := (d.low+d.high)/2, (d.high-d.low)/2
	v := mid + span*rand.NormFloat64()*0.8 //nolint:gosec // simulated lab values, not secrets
	v = math.Max(v, 0)
	p := math.Pow(10, float64(d.decimals))
	v = math.Round(v*p) / p
	flag := lab.FlagNormal
	switch {
	case v < d.low:
		flag = lab.FlagLow
	case v > d.high:
		flag = lab.FlagHigh
	}
	return strconv.FormatFloat(v, 'f', d.decimals, 64), flag
}
