package manifests

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The keda.sh/v1alpha1 types IMP's chart renders, written from KEDA v2's
// CRD spec (ScaledObject and TriggerAuthentication, KEDA ≥ 2.13 for
// configMapTargetRef) field for field, so that a strict decode rejects
// anything KEDA's API server would prune or refuse. KEDA's own Go module
// is not imported: it drags in every scaler's cloud SDK.
//
// TriggerAuthentication is a subset: the cloud secret stores
// (hashiCorpVault, azureKeyVault, gcpSecretManager, awsSecretManager,
// boundServiceAccountToken, oauth2) are left out on purpose, so a chart
// that started rendering one would fail the strict decode and get a
// reviewer's attention. Status fields are included because they are part
// of the schema, though a rendered object never sets them.

// KEDAGroupVersion is the API version of KEDA's custom resources.
const KEDAGroupVersion = "keda.sh/v1alpha1"

// ScaledObject scales a Deployment (or any /scale target) on triggers.
type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ScaledObjectSpec   `json:"spec"`
	Status ScaledObjectStatus `json:"status,omitempty"`
}

// ScaledObjectSpec is spec of a ScaledObject. Required: scaleTargetRef and
// at least one trigger; minReplicaCount ≤ maxReplicaCount (default 100).
type ScaledObjectSpec struct {
	ScaleTargetRef        *ScaleTarget    `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty"`       // minimum 1, default 30
	InitialCooldownPeriod *int32          `json:"initialCooldownPeriod,omitempty"` // minimum 0
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty"`        // minimum 0, default 300
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty"`      // minimum 0, < minReplicaCount
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty"`       // minimum 0, default 0
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty"`       // minimum 1, default 100
	Advanced              *AdvancedConfig `json:"advanced,omitempty"`
	Triggers              []ScaleTrigger  `json:"triggers"`
	Fallback              *Fallback       `json:"fallback,omitempty"`
}

// ScaleTarget names what a ScaledObject scales (a Deployment by default).
type ScaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

// AdvancedConfig tunes the HPA KEDA creates.
type AdvancedConfig struct {
	HorizontalPodAutoscalerConfig *HorizontalPodAutoscalerConfig `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool                           `json:"restoreToOriginalReplicaCount,omitempty"`
	ScalingModifiers              ScalingModifiers               `json:"scalingModifiers,omitempty"`
}

// HorizontalPodAutoscalerConfig names the HPA (default keda-hpa-<name>)
// and sets its scaling behaviour.
type HorizontalPodAutoscalerConfig struct {
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	Name     string                                         `json:"name,omitempty"`
}

// ScalingModifiers combines triggers with a formula.
type ScalingModifiers struct {
	Formula          string                         `json:"formula,omitempty"`
	Target           string                         `json:"target,omitempty"`
	ActivationTarget string                         `json:"activationTarget,omitempty"`
	MetricType       autoscalingv2.MetricTargetType `json:"metricType,omitempty"` // AverageValue or Value
}

// Fallback is the replica count used while a scaler keeps failing.
type Fallback struct {
	FailureThreshold int32  `json:"failureThreshold"`
	Replicas         int32  `json:"replicas"`
	Behavior         string `json:"behavior,omitempty"` // static (default), currentReplicas, currentReplicasIfHigher, currentReplicasIfLower, scalingModifiers
}

// ScaleTrigger is one scaler. Its metadata is scaler-specific: the kafka
// scaler's keys are checked by checkKafkaTrigger.
type ScaleTrigger struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"`
	AuthenticationRef *AuthenticationRef             `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

// AuthenticationRef points at a TriggerAuthentication (default) or a
// ClusterTriggerAuthentication.
type AuthenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// ScaledObjectStatus is written by KEDA.
type ScaledObjectStatus struct {
	ScaleTargetKind      string                  `json:"scaleTargetKind,omitempty"`
	ScaleTargetGVKR      *GroupVersionKindRes    `json:"scaleTargetGVKR,omitempty"`
	OriginalReplicaCount *int32                  `json:"originalReplicaCount,omitempty"`
	LastActiveTime       *metav1.Time            `json:"lastActiveTime,omitempty"`
	ExternalMetricNames  []string                `json:"externalMetricNames,omitempty"`
	ResourceMetricNames  []string                `json:"resourceMetricNames,omitempty"`
	CompositeScalerName  string                  `json:"compositeScalerName,omitempty"`
	Conditions           []KEDACondition         `json:"conditions,omitempty"`
	Health               map[string]HealthStatus `json:"health,omitempty"`
	PausedReplicaCount   *int32                  `json:"pausedReplicaCount,omitempty"`
	HPAName              string                  `json:"hpaName,omitempty"`
	TriggersTypes        *string                 `json:"triggersTypes,omitempty"`
	AuthenticationsTypes *string                 `json:"authenticationsTypes,omitempty"`
}

// GroupVersionKindRes identifies the scale target's resource.
type GroupVersionKindRes struct {
	Group    string `json:"group"`
	Version  string `json:"version"`
	Kind     string `json:"kind"`
	Resource string `json:"resource"`
}

// KEDACondition is one status condition.
type KEDACondition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// HealthStatus is a trigger's health.
type HealthStatus struct {
	NumberOfFailures *int32 `json:"numberOfFailures,omitempty"`
	Status           string `json:"status,omitempty"` // Happy or Failing
}

// TriggerAuthentication holds the credentials scalers use.
type TriggerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TriggerAuthenticationSpec   `json:"spec"`
	Status TriggerAuthenticationStatus `json:"status,omitempty"`
}

// TriggerAuthenticationSpec maps scaler parameters to their sources.
type TriggerAuthenticationSpec struct {
	PodIdentity        *AuthPodIdentity  `json:"podIdentity,omitempty"`
	SecretTargetRef    []AuthTargetRef   `json:"secretTargetRef,omitempty"`
	ConfigMapTargetRef []AuthTargetRef   `json:"configMapTargetRef,omitempty"`
	Env                []AuthEnvironment `json:"env,omitempty"`
	FilePath           string            `json:"filePath,omitempty"`
}

// AuthTargetRef takes a parameter from a key of a Secret or ConfigMap in
// the ScaledObject's namespace.
type AuthTargetRef struct {
	Parameter string `json:"parameter"`
	Name      string `json:"name"`
	Key       string `json:"key"`
}

// AuthEnvironment takes a parameter from the scale target's container env.
type AuthEnvironment struct {
	Parameter     string `json:"parameter"`
	Name          string `json:"name"`
	ContainerName string `json:"containerName,omitempty"`
}

// AuthPodIdentity selects a platform identity provider.
type AuthPodIdentity struct {
	Provider              string  `json:"provider"` // azure-workload, gcp, aws, aws-eks, none
	IdentityID            *string `json:"identityId,omitempty"`
	IdentityTenantID      *string `json:"identityTenantId,omitempty"`
	IdentityAuthorityHost *string `json:"identityAuthorityHost,omitempty"`
	RoleArn               *string `json:"roleArn,omitempty"`
	ExternalID            *string `json:"externalID,omitempty"`
	IdentityOwner         *string `json:"identityOwner,omitempty"` // keda or workload
}

// TriggerAuthenticationStatus is written by KEDA.
type TriggerAuthenticationStatus struct {
	ScaledObjectNamesStr string `json:"scaledobjects,omitempty"`
	ScaledJobNamesStr    string `json:"scaledjobs,omitempty"`
}
