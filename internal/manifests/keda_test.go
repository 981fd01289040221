package manifests

import (
	"strconv"
	"strings"
	"testing"

	"github.com/imp-health/imp/internal/consumer"
)

// TestKEDAKafkaReplicasByHand pins the KEDA model to numbers worked out
// by hand (and to the seed's own readings), so that the comparison with
// consumer.DesiredReplicas below compares against something known to be
// right.
func TestKEDAKafkaReplicasByHand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lag                     int64
		partitions, t, min, max int
		want                    int
	}{
		// The seed: lis-test-result-b2b "Queue: 3/20", 1 replica.
		{lag: 3, partitions: 6, t: 20, min: 1, max: 3, want: 1},
		// The seed: consumer-worker "Queue: 0/15" at its minimum.
		{lag: 0, partitions: 15, t: 15, min: 1, max: 15, want: 1},
		{lag: 20, partitions: 6, t: 20, min: 1, max: 3, want: 1},
		{lag: 21, partitions: 6, t: 20, min: 1, max: 3, want: 2},
		{lag: 41, partitions: 6, t: 20, min: 1, max: 3, want: 3},
		{lag: 10_000, partitions: 6, t: 20, min: 1, max: 3, want: 3},
		{lag: 10_000, partitions: 15, t: 15, min: 1, max: 15, want: 15},
		// Capped by partitions: 4 partitions, lag for 10 replicas.
		{lag: 200, partitions: 4, t: 20, min: 1, max: 15, want: 4},
		// KEDA's integer division lets one more through at P*T+1 ...
		{lag: 81, partitions: 4, t: 20, min: 1, max: 15, want: 5},
		// ... which is why the chart insists on partitions ≥ max.
		{lag: 81, partitions: 4, t: 20, min: 1, max: 4, want: 4},
		// The minimum wins at low lag.
		{lag: 0, partitions: 6, t: 20, min: 2, max: 3, want: 2},
	} {
		if got := KEDAKafkaReplicas(tc.lag, tc.partitions, tc.t, tc.min, tc.max); got != tc.want {
			t.Errorf("lag %d, %d partitions, threshold %d, %d-%d: KEDA would run %d, want %d", tc.lag, tc.partitions, tc.t, tc.min, tc.max, got, tc.want)
		}
	}
}

// TestKEDAFormulaMatchesIMP simulates KEDA on every KEDA-scaled consumer
// the chart renders (default and production values): for lags around
// every threshold boundary, the replicas KEDA settles on from the
// ScaledObject's numbers and the topic's partitions equal
// consumer.DesiredReplicas for the same inputs — what `imp lag` prints in
// its DESIRED column — so operators can predict scaling from IMP's own
// lag (`imp lag`, imp_consumer_lag).
func TestKEDAFormulaMatchesIMP(t *testing.T) {
	t.Parallel()
	for _, vs := range []struct {
		name string
		r    Release
	}{{"default", release(nil)}, {"production", release([]string{productionFile})}} {
		t.Run(vs.name, func(t *testing.T) {
			t.Parallel()
			r := renderT(t, vs.r)
			sos := Find[*ScaledObject](r.objs)
			if len(sos) == 0 {
				t.Fatal("no ScaledObjects rendered")
			}
			for _, so := range sos {
				md := so.Spec.Triggers[0].Metadata
				threshold, err := strconv.Atoi(md["lagThreshold"])
				if err != nil {
					t.Fatalf("%s: lagThreshold %q", so.Name, md["lagThreshold"])
				}
				streamName, ok := strings.CutPrefix(md["topic"], r.values.Config.TopicPrefix)
				partitions, known := r.values.Streams[streamName]
				if !ok || !known {
					t.Fatalf("%s: topic %q is not a stream with partitions in the values", so.Name, md["topic"])
				}
				lo, hi := int(*so.Spec.MinReplicaCount), int(*so.Spec.MaxReplicaCount)
				s := consumer.Scaling{Replicas: lo, MaxReplicas: hi, LagThreshold: threshold}
				T := int64(threshold)
				var lags []int64
				for _, n := range []int64{0, 1, int64(lo), int64(hi), int64(partitions), 2 * int64(partitions), 1000} {
					lags = append(lags, n*T-1, n*T, n*T+1, n*T+T/2)
				}
				lags = append(lags, 1<<40)
				prev := 0
				for _, lag := range lags {
					if lag < 0 {
						continue
					}
					keda := KEDAKafkaReplicas(lag, partitions, threshold, lo, hi)
					imp := consumer.DesiredReplicas(s, lag, partitions)
					if keda != imp {
						t.Errorf("%s (%d partitions, threshold %d, %d-%d) at lag %d: KEDA runs %d, consumer.DesiredReplicas says %d",
							so.Name, partitions, threshold, lo, hi, lag, keda, imp)
					}
					if keda < lo || keda > hi || keda > max(partitions, lo) {
						t.Errorf("%s at lag %d: %d replicas outside [%d, min(%d, %d partitions)]", so.Name, lag, keda, lo, hi, partitions)
					}
					if lag >= int64(lo)*T && keda < prev {
						t.Errorf("%s: fewer replicas (%d) at lag %d than at a lower lag (%d)", so.Name, keda, lag, prev)
					}
					prev = keda
				}
			}
		})
	}
}

// TestKEDAFormulaDivergesPastPartitions shows what the chart's partition
// check prevents: with fewer partitions than KEDA's maximum, KEDA's
// integer cap lets it run one replica more than there are partitions
// (which sits idle), and `imp lag` would predict something else.
func TestKEDAFormulaDivergesPastPartitions(t *testing.T) {
	t.Parallel()
	s := consumer.Scaling{Replicas: 1, MaxReplicas: 15, LagThreshold: 15}
	partitions := 6
	lag := int64(partitions*s.LagThreshold + 1)
	keda := KEDAKafkaReplicas(lag, partitions, s.LagThreshold, s.Replicas, s.MaxReplicas)
	imp := consumer.DesiredReplicas(s, lag, partitions)
	if keda != partitions+1 || imp != partitions {
		t.Errorf("lag %d on %d partitions: KEDA %d, IMP %d; want %d and %d", lag, partitions, keda, imp, partitions+1, partitions)
	}
}
