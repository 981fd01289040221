package manifests

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/imp-health/imp/internal/consumer"
	"github.com/imp-health/imp/internal/inventory"
	"github.com/imp-health/imp/internal/stream"
)

// seedWorkerNames are the consumers whose Deployments keep the seed's
// names (worker-*, the old Celery workers) instead of consumer-NAME.
var seedWorkerNames = []string{"worker-create-order", "worker-default", "worker-notifications", "worker-pdf"}

// TestRegistryInValues: the consumer registry (internal/consumer) is the
// source of truth for names, defaults and scaling; the chart's values list
// every consumer of the seed explicitly. Every registry definition must be
// in the values with the same enabled default, scaling and streams, and
// render as its Deployment, ScaledObject, consumer group and topic. Values
// for consumers the registry does not define yet are reported, not failed.
func TestRegistryInValues(t *testing.T) {
	t.Parallel()
	for _, vs := range []struct {
		name string
		r    Release
	}{{"default", release(nil)}, {"production", release([]string{productionFile})}} {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			r := renderT(t, vs.r)
			v := r.values
			topics := stream.Topics{Prefix: v.Config.TopicPrefix}
			deps := map[string]*appsv1.Deployment{}
			for _, d := range Find[*appsv1.Deployment](r.objs) {
				deps[d.Name] = d
			}
			sos := map[string]*ScaledObject{}
			for _, so := range Find[*ScaledObject](r.objs) {
				sos[so.Spec.ScaleTargetRef.Name] = so
			}
			defined := map[string]bool{}
			for _, d := range consumer.All() {
				defined[d.Name] = true
				c, ok := v.Consumers[d.Name]
				if !ok {
					t.Errorf("consumer %s is in the registry but not in the chart's values (consumers.%s)", d.Name, d.Name)
					continue
				}
				if c.Enabled != d.Enabled {
					t.Errorf("consumers.%s.enabled is %v, the registry's default is %v", d.Name, c.Enabled, d.Enabled)
				}
				want := ScalingValues{Replicas: d.Scaling.Replicas, MaxReplicas: d.Scaling.MaxReplicas, LagThreshold: d.Scaling.LagThreshold}
				if c.Scaling != want {
					t.Errorf("consumers.%s.scaling is %+v, the registry's is %+v", d.Name, c.Scaling, want)
				}
				if !slices.Equal(c.Streams, d.Streams) || !slices.Equal(c.Retry(), d.RetryStreams) {
					t.Errorf("consumers.%s reads %v (retry %v), the registry's definition %v (retry %v): the partition check would check the wrong streams",
						d.Name, c.Streams, c.Retry(), d.Streams, d.RetryStreams)
				}
				workload := c.WorkloadName(d.Name)
				if workload != d.Workload() && !slices.Contains(seedWorkerNames, d.Name) {
					t.Errorf("consumers.%s deploys as %s, the registry says %s", d.Name, workload, d.Workload())
				}
				dep := deps[workload]
				if dep == nil {
					t.Errorf("Deployment %s of consumer %s is not rendered", workload, d.Name)
					continue
				}
				if args := dep.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args, []string{"consume", d.Name}) {
					t.Errorf("Deployment %s runs imp %v, want imp consume %s", workload, args, d.Name)
				}
				min := wantMin(d, c, v)
				so := sos[workload]
				if !d.Enabled || d.Scaling.LagThreshold == 0 {
					if so != nil {
						t.Errorf("%s has a ScaledObject but the registry does not scale it on lag", workload)
					}
					if dep.Spec.Replicas == nil || int(*dep.Spec.Replicas) != min {
						t.Errorf("Deployment %s replicas %v, want %d", workload, ptrString(dep.Spec.Replicas), min)
					}
					continue
				}
				if so == nil {
					t.Errorf("%s has no ScaledObject although the registry scales it on lag (%+v)", workload, d.Scaling)
					continue
				}
				md := so.Spec.Triggers[0].Metadata
				checks := []struct{ what, got, want string }{
					{"consumerGroup", md["consumerGroup"], d.Group(topics)},
					{"topic", md["topic"], topics.Main(d.Streams[0])},
					{"lagThreshold", md["lagThreshold"], strconv.Itoa(d.Scaling.LagThreshold)},
					{"minReplicaCount", strconv.Itoa(int(*so.Spec.MinReplicaCount)), strconv.Itoa(min)},
					{"maxReplicaCount", strconv.Itoa(int(*so.Spec.MaxReplicaCount)), strconv.Itoa(d.Scaling.MaxReplicas)},
				}
				for _, c := range checks {
					if c.got != c.want {
						t.Errorf("ScaledObject %s: %s %q, want %q", so.Name, c.what, c.got, c.want)
					}
				}
			}
			var critical []string
			for _, name := range sortedKeys(v.Consumers) {
				if v.Consumers[name].Critical {
					critical = append(critical, name)
				}
			}
			if want := slices.Sorted(slices.Values(inventory.Critical)); !slices.Equal(critical, want) {
				t.Errorf("critical consumers in the values %v, imp inventory's %v: the baseline and budgets would not be where the inventory recommends them", critical, want)
			}
			var pending []string
			for _, name := range sortedKeys(v.Consumers) {
				if !defined[name] {
					pending = append(pending, name)
				}
			}
			if len(pending) > 0 {
				t.Logf("in the values but not (yet) in the registry: %s", strings.Join(pending, ", "))
			}
		})
	}
}

// wantMin is the replicas (or KEDA minimum) a registry definition should
// render with: its scaling, the critical baseline, 0 when disabled.
func wantMin(d consumer.Definition, c ConsumerValues, v ChartValues) int {
	if !d.Enabled {
		return 0
	}
	n := max(d.Scaling.Replicas, 1)
	if c.Critical {
		n = max(n, v.Resilience.BaselineReplicas)
	}
	return n
}

// TestStreamsInValues: every stream of the catalog has a partition count
// in the values and nothing else does; the ConfigMap hands exactly those
// counts to IMP, so the topics IMP creates are the ones the check checked.
func TestStreamsInValues(t *testing.T) {
	t.Parallel()
	r := renderT(t, release(nil))
	for _, s := range stream.All() {
		if _, ok := r.values.Streams[s.Name]; !ok {
			t.Errorf("stream %s has no partition count under streams in values.yaml", s.Name)
		}
	}
	for _, name := range sortedKeys(r.values.Streams) {
		if _, ok := stream.Lookup(name); !ok {
			t.Errorf("streams.%s is not a stream of internal/stream", name)
		}
	}
	var cm *corev1.ConfigMap
	for _, c := range Find[*corev1.ConfigMap](r.objs) {
		if c.Name == "imp" {
			cm = c
		}
	}
	if cm == nil {
		t.Fatal("ConfigMap imp is not rendered")
	}
	got := map[string]int{}
	for kv := range strings.SplitSeq(cm.Data["IMP_STREAM_PARTITIONS"], ",") {
		k, n, _ := strings.Cut(kv, "=")
		got[k], _ = strconv.Atoi(n)
	}
	if len(got) != len(r.values.Streams) {
		t.Errorf("IMP_STREAM_PARTITIONS has %d streams, values %d", len(got), len(r.values.Streams))
	}
	for s, n := range r.values.Streams {
		if got[s] != n {
			t.Errorf("IMP_STREAM_PARTITIONS gives %s %d partitions, values %d", s, got[s], n)
		}
	}
}
