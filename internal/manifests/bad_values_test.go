package manifests

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBadValuesFailRendering: values that would deploy something broken
// must fail `helm template`/`helm install` with a message that names the
// value to change.
func TestBadValuesFailRendering(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files []string
		set   []string
		want  []string
	}{
		{name: "partitions below KEDA's maximum (values file)", files: []string{filepath.Join("testdata", "bad-partitions.yaml")},
			want: []string{"streams.worker has 6 partitions but consumer-worker may run 15 replicas", "raise streams.worker to at least 15"}},
		{name: "production partitions below KEDA's maximum", files: []string{productionFile}, set: []string{"streams.worker=12"},
			want: []string{"streams.worker has 12 partitions but consumer-worker may run 15 replicas"}},
		{name: "partitions below fixed replicas", set: []string{"streams.lis-orders=2"},
			want: []string{"streams.lis-orders has 2 partitions but consumer-lis-orders may run 3 replicas"}},
		{name: "partitions below the critical baseline", set: []string{"streams.lis-test-status=1"},
			want: []string{"streams.lis-test-status has 1 partitions but consumer-lis-test-status may run 3 replicas"}},
		{name: "retry stream partitions", set: []string{"consumers.lis-test-result-svip-repush.scaling.replicas=7"},
			want: []string{"streams.lis-test-result-svip1 has 6 partitions but consumer-lis-test-result-svip-repush may run 7 replicas"}},
		{name: "enabled legacy consumer beyond its one partition", set: []string{"consumers.orders.enabled=true", "consumers.orders.scaling.replicas=2"},
			want: []string{"streams.orders has 1 partitions but consumer-orders may run 2 replicas"}},
		{name: "stream without partitions", set: []string{"consumers.customer.streams={nope}"},
			want: []string{`consumers.customer reads stream "nope", which has no partition count under streams`}},
		{name: "KEDA maximum below the baseline", set: []string{"consumers.lis-test-result.scaling.maxReplicas=1"},
			want: []string{"consumers.lis-test-result: KEDA's maximum (scaling.maxReplicas 1) is below its minimum (2"}},
		{name: "KEDA consumer with two streams", set: []string{"consumers.worker.streams={worker,worker-order}"},
			want: []string{"consumers.worker: a KEDA-scaled consumer must read exactly one stream"}},
		{name: "no brokers", set: []string{"kafka.brokers=null"},
			want: []string{"kafka.brokers is required"}},
		{name: "no database", set: []string{"secrets.databaseURL="},
			want: []string{"secrets.databaseURL (or secrets.existingSecret with IMP_DATABASE_URL) is required"}},
		{name: "grace period shorter than the drain", set: []string{"terminationGracePeriodSeconds=30"},
			want: []string{"terminationGracePeriodSeconds (30) must be longer than config.shutdownTimeoutSeconds (25) plus api.preStopSleepSeconds (5)"}},
		{name: "SASL without a password", set: []string{"kafka.sasl.mechanism=PLAIN", "kafka.sasl.username=imp"},
			want: []string{"secrets.kafkaSASLPassword (or secrets.existingSecret with IMP_KAFKA_SASL_PASSWORD) is required"}},
		{name: "SASL without a user", set: []string{"kafka.sasl.mechanism=PLAIN", "secrets.kafkaSASLPassword=x"},
			want: []string{"kafka.sasl.username is required"}},
		{name: "api HPA minimum above maximum", set: []string{"api.hpa.minReplicas=6"},
			want: []string{"api.hpa.minReplicas (6) exceeds api.hpa.maxReplicas (5)"}},
		// The schema catches typos and types before any template runs.
		{name: "schema: misspelt consumer field", set: []string{"consumers.customer.replica=2"},
			want: []string{"values don't meet the specifications of the schema", "replica"}},
		{name: "schema: unsupported SASL mechanism", set: []string{"kafka.sasl.mechanism=GSSAPI"},
			want: []string{"values don't meet the specifications of the schema", "mechanism"}},
		{name: "schema: zero partitions", set: []string{"streams.worker=0"},
			want: []string{"values don't meet the specifications of the schema", "worker"}},
		{name: "schema: unknown top-level value", set: []string{"replicas=3"},
			want: []string{"values don't meet the specifications of the schema", "replicas"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Render(chartDir, release(tc.files, tc.set...))
			if err == nil {
				t.Fatal("rendered; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}
