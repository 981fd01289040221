package broker

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestEmbeddedPersists produces to the embedded broker, closes it, starts
// it again on the same directory, and reads the records and the group's
// committed offset back.
func TestEmbeddedPersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	e, err := StartEmbedded(dir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Brokers: e.Addrs(), ClientID: "t"}
	p, err := NewProducer(cfg, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(p.Client())
	if err := EnsureTopics(ctx, adm, []TopicSpec{{Name: "t.a", Partitions: 2}}, -1); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		r := &kgo.Record{Topic: "t.a", Key: []byte{byte(i)}, Value: []byte("v")}
		SetHeader(r, HeaderMessageID, "m")
		if err := p.Produce(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.Offset < 0 {
			t.Fatalf("produce did not set the offset: %d", r.Offset)
		}
	}
	// Grow the topic: EnsureTopics adds partitions, never removes.
	if err := EnsureTopics(ctx, adm, []TopicSpec{{Name: "t.a", Partitions: 3}}, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CommitOffsets(ctx, "g", kadm.OffsetsFromRecords(kgo.Record{Topic: "t.a", Partition: 0, Offset: 1})); err != nil {
		t.Fatal(err)
	}
	p.Close(ctx)
	e.Close()

	e, err = StartEmbedded(dir, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cl, err := Config{Brokers: e.Addrs(), ClientID: "t"}.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm = kadm.NewClient(cl)
	topics, err := adm.ListTopics(ctx, "t.a")
	if err != nil || len(topics["t.a"].Partitions) != 3 {
		t.Fatalf("after restart: %v partitions, %v", len(topics["t.a"].Partitions), err)
	}
	ends, err := adm.ListEndOffsets(ctx, "t.a")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != 10 {
		t.Fatalf("%d records after restart, want 10", total)
	}
	lags, err := Lag(ctx, adm, map[string][]string{"g": {"t.a"}})
	if err != nil {
		t.Fatal(err)
	}
	if lags[0].Partitions[0].Committed != 2 || lags[0].Total != 8 {
		t.Fatalf("lag after restart = %+v", lags[0])
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	r := &kgo.Record{}
	SetHeader(r, HeaderAttempt, "1")
	SetHeader(r, HeaderAttempt, "2")
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	SetHeaderTime(r, HeaderNotBefore, at)
	if len(r.Headers) != 2 || HeaderInt(r, HeaderAttempt) != 2 || !HeaderTime(r, HeaderNotBefore).Equal(at) {
		t.Fatalf("headers = %+v", r.Headers)
	}
	DelHeader(r, HeaderAttempt)
	if Header(r, HeaderAttempt) != "" || HeaderInt(r, HeaderAttempt) != 0 || !HeaderTime(r, "none").IsZero() {
		t.Fatal("deleted header still read")
	}
}
