package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Producer produces records with acks=all and idempotence (kgo's defaults,
// stated explicitly here because IMP's "202 only after the broker
// acknowledged" promise rests on them).
type Producer struct {
	cl *kgo.Client
}

// ErrProduce wraps every produce failure.
var ErrProduce = errors.New("produce failed")

// NewProducer builds a producer client; timeout bounds each record's
// delivery so callers get an error instead of waiting forever.
func NewProducer(c Config, timeout time.Duration, extra ...kgo.Opt) (*Producer, error) {
	opts := append([]kgo.Opt{
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordDeliveryTimeout(timeout),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.MaxBufferedRecords(100_000),
		// Every caller waits for its acknowledgement, so lingering only adds
		// latency: with kgo's default linger a request waited ~10 ms and the
		// API did 5k req/s; without it, batches form from what is in flight
		// while a produce request is out (bench/ingest, docs/benchmarks.md).
		kgo.ProducerLinger(0),
	}, extra...)
	cl, err := c.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	return &Producer{cl: cl}, nil
}

// Client exposes the underlying client (admin requests, pings).
func (p *Producer) Client() *kgo.Client { return p.cl }

// Produce sends r and waits for the broker's acknowledgement; on success
// r.Partition and r.Offset are set.
func (p *Producer) Produce(ctx context.Context, r *kgo.Record) error {
	var (
		done = make(chan struct{})
		perr error
	)
	p.cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
		perr = err
		close(done)
	})
	<-done // kgo always calls the promise, also on ctx cancellation
	if perr != nil {
		return fmt.Errorf("%w: topic %s: %w", ErrProduce, r.Topic, perr)
	}
	return nil
}

// ProduceAll sends every record and waits for all acknowledgements; the
// result holds one error (or nil) per record, in order.
func (p *Producer) ProduceAll(ctx context.Context, rs []*kgo.Record) []error {
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	wg.Add(len(rs))
	for i, r := range rs {
		p.cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				errs[i] = fmt.Errorf("%w: topic %s: %w", ErrProduce, r.Topic, err)
			}
			wg.Done()
		})
	}
	wg.Wait()
	return errs
}

// Close flushes buffered records (bounded by ctx) and closes the client.
func (p *Producer) Close(ctx context.Context) {
	_ = p.cl.Flush(ctx)
	p.cl.Close()
}
