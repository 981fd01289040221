package lis

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/imp-health/imp/internal/broker"
	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/store"
	"github.com/imp-health/imp/internal/store/sqlite"
	"github.com/imp-health/imp/internal/stream"
)

var topics = stream.Topics{Prefix: "t."}

type env struct {
	in      *Inbound
	cluster *kfake.Cluster
	bcfg    broker.Config
	st      store.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	var names []string
	for _, s := range stream.All() {
		names = append(names, topics.Main(s.Name))
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, names...))
	if err != nil {
		t.Fatal(err)
	}
	bcfg := broker.Config{Brokers: c.ListenAddrs(), ClientID: "lis-test"}
	p, err := broker.NewProducer(bcfg, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "imp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()); c.Close(); _ = st.Close() })
	return &env{in: &Inbound{Publisher: ingest.NewPublisher(p, topics, nil), Tiers: ingest.NewTiers(st, time.Minute)}, cluster: c, bcfg: bcfg, st: st}
}

func (e *env) topic(t *testing.T, name string) []*kgo.Record {
	t.Helper()
	cl, err := e.bcfg.NewClient(kgo.ConsumeTopics(topics.Main(name)), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var out []*kgo.Record
	for ctx.Err() == nil {
		out = append(out, cl.PollFetches(ctx).Records()...)
	}
	return out
}

const msh = "MSH|^~\\&|LIS|LAB|IMP|LAB|20261127073000||"

func TestResultsRoutedWithStatusAndAA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	err := e.st.InTx(context.Background(), func(tx store.Tx) error {
		_, err := tx.UpsertCustomers(context.Background(), []lab.Customer{{ID: "VIP", Version: 1, Tier: lab.TierSVIP2, FamilyName: "V"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	oru := msh + "ORU^R01^ORU_R01|C1|P|2.5.1\rPID|1||VIP^^^IMP^MR||V^A\r" +
		"OBR|1|A-1^IMP||GLU^Glucose^L|||20261127070000|||||||||||||||20261127073000|||F\r" +
		"OBX|1|NM|GLU^Glucose^L||5.4|mmol/L|3.9-5.6|N|||F|||20261127071500||E-7\r"
	out := e.in.Handle(context.Background(), []byte(oru), "mllp")
	if out.Code != hl7.AA || !strings.Contains(string(out.ACK), "MSA|AA|C1") {
		t.Fatalf("outcome = %s %v %s", out.Code, out.Err, out.ACK)
	}
	recs := e.topic(t, stream.ResultsSVIP2)
	if len(recs) != 1 || broker.Header(recs[0], broker.HeaderRouteTier) != "svip2" || broker.Header(recs[0], broker.HeaderClient) != "mllp" {
		t.Fatalf("svip2 records = %d", len(recs))
	}
	var r lab.Result
	_ = json.Unmarshal(recs[0].Value, &r)
	if r.AccessionNumber != "A-1" || r.Value != "5.4" {
		t.Fatalf("result = %+v", r)
	}
	if st := e.topic(t, stream.Status); len(st) != 1 {
		t.Fatalf("%d status records from OBR-25", len(st))
	}
}

func TestOrdersAndPatientsIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	orm := msh + "ORM^O01^ORM_O01|C2|P|2.5.1\rPID|1||P-1^^^IMP^MR||Doe^Jane||19800101|F\r" +
		"ORC|NW|ORD-9^CLINIC||||||||||D1^Who^Doctor\rOBR|1|ORD-9^CLINIC||GLU^Glucose^L|R|20261127060000\r"
	if out := e.in.Handle(context.Background(), []byte(orm), "mllp"); out.Code != hl7.AA {
		t.Fatalf("order: %s %v", out.Code, out.Err)
	}
	if n := len(e.topic(t, stream.Orders)); n != 1 {
		t.Fatalf("%d orders", n)
	}
	adt := msh + "ADT^A04^ADT_A01|C3|P|2.5.1\rEVN|A04|20261127060000\rPID|1||P-2^^^IMP^MR||Roe^Richard||19700101|M\r"
	if out := e.in.Handle(context.Background(), []byte(adt), "mllp"); out.Code != hl7.AA {
		t.Fatalf("adt: %s %v", out.Code, out.Err)
	}
	if n := len(e.topic(t, stream.Customer)); n != 2 { // the ORM's patient and the ADT's
		t.Fatalf("%d customers", n)
	}
}

func TestRefusalsNameTheProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := map[string]struct {
		msg, code, want string
	}{
		"unparsable":  {"hello", "AR", "MSA|AR"},
		"unsupported": {msh + "SIU^S12|C4|P|2.5.1\r", "AR", "MSA|AR|C4"},
		"no test":     {msh + "ORU^R01|C5|P|2.5.1\rPID|1||X\rOBR|1|A-2^IMP\rOBX|1|NM|||5|mmol/L||||F\r", "AE", "MSA|AE|C5"},
	}
	for name, tc := range cases {
		out := e.in.Handle(context.Background(), []byte(tc.msg), "mllp")
		if string(out.Code) != tc.code || !strings.Contains(string(out.ACK), tc.want) || out.Err == nil {
			t.Errorf("%s: %s %v %q", name, out.Code, out.Err, out.ACK)
		}
	}
}

// TestNoACKWhenNotDurable: with the broker refusing produces, no ACK is
// built, so the MLLP sender resends.
func TestNoACKWhenNotDurable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.cluster.Close()
	oru := msh + "ORU^R01|C6|P|2.5.1\rPID|1||X\rOBR|1|A-3^IMP||GLU^G^L|||20261127070000\rOBX|1|NM|GLU^G^L||5|mmol/L|||||P|||20261127070000\r"
	out := e.in.Handle(context.Background(), []byte(oru), "mllp")
	if out.ACK != nil || out.Err == nil {
		t.Fatalf("ACK = %q, err = %v; want no ACK", out.ACK, out.Err)
	}
	if ack := e.in.MLLP(context.Background(), []byte(oru)); ack != nil {
		t.Fatal("the MLLP adapter acknowledged a message that is not durable")
	}
}
