package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TopicSpec is a topic IMP needs.
type TopicSpec struct {
	Name       string
	Partitions int32
	Configs    map[string]string
}

// EnsureTopics creates missing topics and grows existing ones that have
// fewer partitions than asked. It never shrinks or deletes. rf -1 uses the
// broker's default replication factor.
func EnsureTopics(ctx context.Context, adm *kadm.Client, specs []TopicSpec, rf int16) error {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	existing, err := adm.ListTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	var errs []error
	for _, s := range specs {
		td, ok := existing[s.Name]
		if ok && td.Err == nil {
			if have := int32(len(td.Partitions)); have < s.Partitions {
				resp, err := adm.UpdatePartitions(ctx, int(s.Partitions), s.Name)
				if err == nil {
					err = resp.Error()
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("grow %s from %d to %d partitions: %w", s.Name, have, s.Partitions, err))
				}
			}
			continue
		}
		cfg := make(map[string]*string, len(s.Configs))
		for _, k := range slices.Sorted(maps.Keys(s.Configs)) {
			v := s.Configs[k]
			cfg[k] = &v
		}
		resp, err := adm.CreateTopic(ctx, s.Partitions, rf, cfg, s.Name)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("create %s: %w", s.Name, err))
		}
	}
	return errors.Join(errs...)
}
