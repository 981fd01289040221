package manifests

import (
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const okDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: x
  namespace: imp
spec:
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: imp
          image: imp:1
`

const okScaledObject = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: x
  namespace: imp
spec:
  scaleTargetRef: {name: x}
  minReplicaCount: 1
  maxReplicaCount: 3
  triggers:
    - type: kafka
      metadata: {bootstrapServers: "k:9092", consumerGroup: g, topic: t, lagThreshold: "20"}
`

// TestDecodeIsStrict: what the API server's strict field validation (or
// KEDA's CRD schema) would reject, Decode rejects too.
func TestDecodeIsStrict(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{okDeployment, okScaledObject, "# only a comment\n", ""} {
		if _, err := Decode(doc); err != nil {
			t.Errorf("valid document rejected: %v\n%s", err, doc)
		}
	}
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"unknown field", strings.Replace(okDeployment, "spec:\n  selector", "spec:\n  replica: 2\n  selector", 1), `unknown field "spec.replica"`},
		{"field in the wrong case", strings.Replace(okDeployment, "spec:\n  selector", "spec:\n  Replicas: 2\n  selector", 1), `unknown field "spec.Replicas"`},
		{"duplicate field", strings.Replace(okDeployment, "  name: x\n", "  name: x\n  name: y\n", 1), `key "name" already set`},
		{"nested unknown field", strings.Replace(okDeployment, "image: imp:1", "image: imp:1\n          imagePolicy: Always", 1), `unknown field "spec.template.spec.containers[0].imagePolicy"`},
		{"wrong type", strings.Replace(okDeployment, "spec:\n  selector", "spec:\n  replicas: two\n  selector", 1), "replicas"},
		{"unknown kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "not a kind IMP's chart may render"},
		{"unknown apiVersion of a known kind", strings.Replace(okDeployment, "apps/v1", "apps/v1beta2", 1), "not a kind"},
		{"ScaledObject field that is not KEDA's", strings.Replace(okScaledObject, "maxReplicaCount", "maxReplicas", 1), `unknown field "spec.maxReplicas"`},
		{"KEDA trigger metadata must be strings", strings.Replace(okScaledObject, `lagThreshold: "20"`, "lagThreshold: 20", 1), "metadata of type string"},
		{"TriggerAuthentication source outside the subset", "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: a}\nspec:\n  hashiCorpVault: {address: x}\n", `unknown field "spec.hashiCorpVault"`},
		{"tab-indented YAML", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n", "yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestCheckCatchesBrokenManifests breaks one thing at a time in the
// default manifests and expects Check to name it.
func TestCheckCatchesBrokenManifests(t *testing.T) {
	t.Parallel()
	base, _, err := renderCached(release(nil))
	if err != nil {
		t.Fatal(err)
	}
	dep := func(objs []Object, name string) *appsv1.Deployment {
		for _, d := range Find[*appsv1.Deployment](objs) {
			if d.Name == name {
				return d
			}
		}
		t.Fatalf("no Deployment %s", name)
		return nil
	}
	for _, tc := range []struct {
		name    string
		breakIt func([]Object) []Object
		want    string
	}{
		{"replicas on a KEDA-scaled Deployment", func(o []Object) []Object {
			n := int32(2)
			dep(o, "consumer-worker").Spec.Replicas = &n
			return o
		}, "Deployment/consumer-worker: sets replicas although ScaledObject/consumer-worker owns them"},
		{"writable root filesystem", func(o []Object) []Object {
			f := false
			dep(o, "consumer-customer").Spec.Template.Spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem = &f
			return o
		}, "readOnlyRootFilesystem is not true"},
		{"no memory limit", func(o []Object) []Object {
			delete(dep(o, "api").Spec.Template.Spec.Containers[0].Resources.Limits, corev1.ResourceMemory)
			return o
		}, "memory needs a request and a limit"},
		{"readiness on the liveness path", func(o []Object) []Object {
			dep(o, "consumer-lis-orders").Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Path = "/healthz"
			return o
		}, "readiness probe must GET /readyz"},
		{"grace period shorter than the drain", func(o []Object) []Object {
			g := int64(25)
			dep(o, "consumer-worker").Spec.Template.Spec.TerminationGracePeriodSeconds = &g
			return o
		}, "terminationGracePeriodSeconds 25s does not exceed the drain"},
		{"missing Secret", func(o []Object) []Object {
			dep(o, "api").Spec.Template.Spec.Containers[0].EnvFrom[1].SecretRef.Name = "nope"
			return o
		}, `envFrom Secret "nope" is neither rendered nor an existing secret`},
		{"data dir not mounted", func(o []Object) []Object {
			c := &dep(o, "consumer-employee").Spec.Template.Spec.Containers[0]
			c.VolumeMounts = c.VolumeMounts[:1]
			return o
		}, `"/data" must be a writable mount`},
		{"Service selecting nothing", func(o []Object) []Object {
			for _, s := range Find[*corev1.Service](o) {
				if s.Name == "api" {
					s.Spec.Selector["app.kubernetes.io/component"] = "apy"
				}
			}
			return o
		}, "Service/api: selects the pods of 0 Deployments"},
		{"budget on a single replica", func(o []Object) []Object {
			for _, p := range Find[*policyv1.PodDisruptionBudget](o) {
				if p.Name == "consumer-lis-orders" {
					p.Spec.Selector.MatchLabels["app.kubernetes.io/component"] = "consumer-customer"
				}
			}
			return o
		}, "Deployment/consumer-customer may run 1 replica(s): a disruption budget needs at least 2"},
		{"budget that blocks every eviction", func(o []Object) []Object {
			for _, p := range Find[*policyv1.PodDisruptionBudget](o) {
				if p.Name == "api" {
					m := intstr.FromInt32(2)
					p.Spec.MaxUnavailable, p.Spec.MinAvailable = nil, &m
				}
			}
			return o
		}, "minAvailable 2 of 2 replicas blocks every voluntary eviction"},
		{"idle consumers allowed", func(o []Object) []Object {
			Find[*ScaledObject](o)[0].Spec.Triggers[0].Metadata["allowIdleConsumers"] = "true"
			return o
		}, "allowIdleConsumers would scale past the partition count"},
		{"misspelt trigger parameter", func(o []Object) []Object {
			md := Find[*ScaledObject](o)[0].Spec.Triggers[0].Metadata
			md["lagTreshold"] = md["lagThreshold"]
			delete(md, "lagThreshold")
			return o
		}, `metadata "lagTreshold" is not a kafka scaler parameter`},
		{"ScaledObject on a missing Deployment", func(o []Object) []Object {
			Find[*ScaledObject](o)[0].Spec.ScaleTargetRef.Name = "consumer-nope"
			return o
		}, "scale target apps/v1 Deployment/consumer-nope is not a rendered Deployment"},
		{"an object twice", func(o []Object) []Object {
			return append(o, o[0])
		}, "rendered twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			objs, err := Decode(base)
			if err != nil {
				t.Fatal(err)
			}
			if errs := Check(objs, CheckOptions{}); len(errs) > 0 {
				t.Fatalf("the unbroken manifests already fail: %v", errors.Join(errs...))
			}
			errs := Check(tc.breakIt(objs), CheckOptions{})
			if len(errs) == 0 || !strings.Contains(errors.Join(errs...).Error(), tc.want) {
				t.Errorf("Check did not report %q; it reported:\n%v", tc.want, errors.Join(errs...))
			}
		})
	}
}
