package manifests

import (
	"encoding/json"
	"fmt"
)

// ChartValues is the part of the chart's values that IMP's own registries
// (internal/consumer, internal/stream) must agree with.
type ChartValues struct {
	Config struct {
		TopicPrefix            string `json:"topicPrefix"`
		ShutdownTimeoutSeconds int    `json:"shutdownTimeoutSeconds"`
		DataDir                string `json:"dataDir"`
	} `json:"config"`
	Resilience struct {
		BaselineReplicas int `json:"baselineReplicas"`
	} `json:"resilience"`
	Secrets struct {
		ExistingSecret string `json:"existingSecret"`
	} `json:"secrets"`
	MLLP struct {
		Enabled   bool   `json:"enabled"`
		Port      int    `json:"port"`
		TLSSecret string `json:"tlsSecret"`
	} `json:"mllp"`
	Reports struct {
		MountPath   string `json:"mountPath"`
		Persistence struct {
			Enabled       bool   `json:"enabled"`
			ExistingClaim string `json:"existingClaim"`
		} `json:"persistence"`
	} `json:"reports"`
	Streams   map[string]int            `json:"streams"`
	Consumers map[string]ConsumerValues `json:"consumers"`
}

// ConsumerValues is one entry of the chart's consumers.
type ConsumerValues struct {
	Enabled  bool     `json:"enabled"`
	Critical bool     `json:"critical"`
	Workload string   `json:"workload"`
	Streams  []string `json:"streams"`
	// RetryStreams is nil when the values leave it out (then it is Streams).
	RetryStreams *[]string     `json:"retryStreams"`
	Scaling      ScalingValues `json:"scaling"`
	KEDA         struct {
		HPAName string `json:"hpaName"`
	} `json:"keda"`
}

// ScalingValues are the seed's numbers for one consumer; they must equal
// consumer.Scaling of the registry's definition.
type ScalingValues struct {
	Replicas     int `json:"replicas"`
	MaxReplicas  int `json:"maxReplicas"`
	LagThreshold int `json:"lagThreshold"`
}

// WorkloadName is the consumer's Deployment name.
func (c ConsumerValues) WorkloadName(name string) string {
	if c.Workload != "" {
		return c.Workload
	}
	return "consumer-" + name
}

// Retry is the streams whose .retry topics the consumer reads.
func (c ConsumerValues) Retry() []string {
	if c.RetryStreams == nil {
		return c.Streams
	}
	return *c.RetryStreams
}

// External lists the Secrets and claims the values reference without the
// chart rendering them.
func (v ChartValues) External() CheckOptions {
	var o CheckOptions
	if v.Secrets.ExistingSecret != "" {
		o.ExternalSecrets = append(o.ExternalSecrets, v.Secrets.ExistingSecret)
	}
	if v.MLLP.Enabled && v.MLLP.TLSSecret != "" {
		o.ExternalSecrets = append(o.ExternalSecrets, v.MLLP.TLSSecret)
	}
	if v.Reports.Persistence.Enabled && v.Reports.Persistence.ExistingClaim != "" {
		o.ExternalClaims = append(o.ExternalClaims, v.Reports.Persistence.ExistingClaim)
	}
	return o
}

// ParseValues converts merged values (see Values) into ChartValues.
func ParseValues(v map[string]any) (ChartValues, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return ChartValues{}, err
	}
	var cv ChartValues
	if err := json.Unmarshal(b, &cv); err != nil {
		return ChartValues{}, fmt.Errorf("chart values: %w", err)
	}
	return cv, nil
}
