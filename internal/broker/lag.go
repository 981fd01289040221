package broker

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
)

// PartitionLag is one partition's position in a group.
type PartitionLag struct {
	Topic     string
	Partition int32
	Committed int64 // -1 when the group has committed nothing
	End       int64
	Lag       int64
	Member    string // client id of the member that owns it, if any
}

// GroupLag is a consumer group's lag over its topics.
type GroupLag struct {
	Group      string
	State      string
	Members    int
	Total      int64
	Partitions []PartitionLag
	Err        error
}

// Lag describes groups and computes their lag on the given topics (every
// partition of each topic counts, committed or not, like KEDA's kafka
// scaler does).
func Lag(ctx context.Context, adm *kadm.Client, groups map[string][]string) ([]GroupLag, error) {
	names := slices.Sorted(func(yield func(string) bool) {
		for g := range groups {
			if !yield(g) {
				return
			}
		}
	})
	var topics []string
	for _, ts := range groups {
		topics = append(topics, ts...)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("end offsets: %w", err)
	}
	described, err := adm.DescribeGroups(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("describe groups: %w", err)
	}
	committed := adm.FetchManyOffsets(ctx, names...)
	out := make([]GroupLag, 0, len(names))
	for _, g := range names {
		gl := GroupLag{Group: g}
		owner := map[string]map[int32]string{}
		if d, ok := described[g]; ok {
			gl.State = d.State
			gl.Members = len(d.Members)
			for _, m := range d.Members {
				if a, ok := m.Assigned.AsConsumer(); ok {
					for _, t := range a.Topics {
						if owner[t.Topic] == nil {
							owner[t.Topic] = map[int32]string{}
						}
						for _, p := range t.Partitions {
							owner[t.Topic][p] = m.ClientID
						}
					}
				}
			}
		}
		resp := committed[g]
		if resp.Err != nil {
			gl.Err = resp.Err
		}
		for _, topic := range groups[g] {
			ends.Each(func(lo kadm.ListedOffset) {
				if lo.Topic != topic {
					return
				}
				pl := PartitionLag{Topic: topic, Partition: lo.Partition, Committed: -1, End: lo.Offset,
					Member: owner[topic][lo.Partition]}
				if o, ok := resp.Fetched.Lookup(topic, lo.Partition); ok && o.Err == nil && o.At >= 0 {
					pl.Committed = o.At
				}
				if pl.Committed >= 0 {
					pl.Lag = max(0, pl.End-pl.Committed)
				} else {
					pl.Lag = pl.End // nothing committed: everything is lag (start offset 0)
				}
				gl.Total += pl.Lag
				gl.Partitions = append(gl.Partitions, pl)
			})
		}
		slices.SortFunc(gl.Partitions, func(a, b PartitionLag) int {
			if a.Topic != b.Topic {
				if a.Topic < b.Topic {
					return -1
				}
				return 1
			}
			return int(a.Partition - b.Partition)
		})
		out = append(out, gl)
	}
	return out, nil
}
