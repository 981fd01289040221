package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/lis/sim"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/stream"
)

// Demo is the walkthrough setup of `imp serve --demo`: an LIS simulator
// that IMP sends orders to, a partner webhook sink, and seed data.
type Demo struct {
	SinkURL string
	LISAddr string
	Sink    *sim.Sink
	Sim     *sim.Sim
}

// DemoSecret signs deliveries to the demo sink.
const DemoSecret = "demo-partner-secret"

// PrepareDemo chooses the simulator's address before Open, so the LIS
// sender can be pointed at it.
func PrepareDemo(cfgLIS string) (string, error) {
	if cfgLIS != "" {
		return cfgLIS, nil
	}
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// StartDemo starts the simulator (orders at lisAddr, results to IMP's
// MLLP listener) and the sink on sinkAddr, and seeds the catalog, three
// customers and the partner's destination. It runs until ctx ends.
func (a *App) StartDemo(ctx context.Context, run *Running, lisAddr, sinkAddr string, resultDelay time.Duration) (*Demo, error) {
	if run.MLLPAddr == "" {
		return nil, errors.New("demo: the MLLP listener is off (IMP_MLLP_ADDR)")
	}
	d := &Demo{Sink: &sim.Sink{Secret: DemoSecret}, LISAddr: lisAddr}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", sinkAddr)
	if err != nil {
		return nil, fmt.Errorf("demo sink: %w", err)
	}
	d.SinkURL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: d.Sink, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	d.Sim, err = sim.New(sim.Config{Listen: lisAddr, IMP: run.MLLPAddr, ResultDelay: resultDelay, Reject: []string{"XFAIL"}, Logger: a.Log})
	if err != nil {
		return nil, err
	}
	go func() { _ = d.Sim.Run(ctx) }()
	return d, a.seedDemo(ctx, d)
}

func (a *App) seedDemo(ctx context.Context, d *Demo) error {
	hi := func(v float64) *float64 { return &v }
	num := func(code, name, loinc, unit string, low, high float64) lab.Test {
		return lab.Test{Code: code, Version: 1, Name: name, LOINC: loinc, SpecimenType: "serum", Unit: unit, ValueType: lab.ValueNumeric,
			ReferenceRanges: []lab.ReferenceRange{{Low: hi(low), High: hi(high)}}, TATMinutes: 120, Active: true}
	}
	tests := []lab.Test{
		num("GLU", "Glucose", "2345-7", "mmol/L", 3.9, 5.6),
		num("NA", "Sodium", "2951-2", "mmol/L", 135, 145),
		num("K", "Potassium", "2823-3", "mmol/L", 3.5, 5.1),
		num("HGB", "Hemoglobin", "718-7", "g/dL", 12, 17.5),
		num("CREA", "Creatinine", "2160-0", "umol/L", 62, 106),
		num("TSH", "Thyrotropin", "3016-3", "m[IU]/L", 0.4, 4),
		{Code: "XFAIL", Version: 1, Name: "Test the LIS refuses (demo)", SpecimenType: "other", ValueType: lab.ValueText, TATMinutes: 60, Active: true},
	}
	customers := []lab.Customer{
		{ID: "C-GEN-1", Version: 1, Tier: lab.TierGeneral, GivenName: "Grace", FamilyName: "Hopper"},
		{ID: "C-VIP-1", Version: 1, Tier: lab.TierSVIP1, GivenName: "Ada", FamilyName: "Lovelace"},
		{ID: "C-ACME-1", Version: 1, Tier: lab.TierB2B, GivenName: "Alan", FamilyName: "Turing", PartnerID: "ACME"},
	}
	var es []ingest.Envelope
	for _, t := range tests {
		b, _ := json.Marshal(t)
		es = append(es, ingest.Envelope{Stream: stream.TestMaster, Key: t.Code, Kind: "test", Value: b, Client: "demo"})
	}
	for _, c := range customers {
		b, _ := json.Marshal(c)
		es = append(es, ingest.Envelope{Stream: stream.Customer, Key: c.ID, Kind: "customer", Value: b, Client: "demo"})
	}
	if _, errs := a.Publisher.PublishMany(ctx, es); errors.Join(errs...) != nil {
		return fmt.Errorf("demo seed: %w", errors.Join(errs...))
	}
	conn, _ := json.Marshal(delivery.Destination{Connector: "webhook", URL: d.SinkURL + "/hook", Secret: DemoSecret})
	for id, owner := range map[string]string{"demo-acme": "partner:ACME", "demo-vip-portal": "customer:C-VIP-1"} {
		err := a.Store.PutDestination(ctx, store.Destination{ID: id, Owner: owner, Events: []string{"result", "status", "report"}, Format: "json", Connector: conn, Enabled: true, CreatedAt: time.Now().UTC()})
		if err != nil {
			return err
		}
	}
	return nil
}
