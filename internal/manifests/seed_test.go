package manifests

import (
	"slices"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// seedWorkload is one Deployment of the production namespace
// (seed/imp-namespace.txt) as the default values must render it.
type seedWorkload struct {
	name string
	args []string
	// replicas is the fixed count; -1 when an autoscaler owns it.
	replicas int32
	// min, max, lagThreshold and hpa describe the autoscaler.
	min, max     int32
	lagThreshold string
	hpa          string
}

// seed lists the seed's 26 Deployments. Where the seed's recommendations
// change a number, the comment says which.
var seed = []seedWorkload{
	{name: "api", args: []string{"api"}, replicas: -1, min: 2, max: 5, hpa: "api"},
	// Flower, scaled to 0 in the seed; "consider enabling" it: on.
	{name: "dashboard", args: []string{"dashboard"}, replicas: 1},
	{name: "consumer-customer", args: []string{"consume", "customer"}, replicas: 1},
	{name: "consumer-employee", args: []string{"consume", "employee"}, replicas: 1},
	{name: "consumer-lis-orders", args: []string{"consume", "lis-orders"}, replicas: 3},
	{name: "consumer-lis-test-master", args: []string{"consume", "lis-test-master"}, replicas: 1},
	// Seed 1-3; baseline of 2 for critical consumers.
	{name: "consumer-lis-test-result", args: []string{"consume", "lis-test-result"}, replicas: -1, min: 2, max: 3, lagThreshold: "20", hpa: "keda-hpa-kafka-imp-lis-test-result"},
	{name: "consumer-lis-test-result-b2b", args: []string{"consume", "lis-test-result-b2b"}, replicas: -1, min: 2, max: 3, lagThreshold: "20", hpa: "keda-hpa-kafka-imp-lis-test-result-b2b"},
	{name: "consumer-lis-test-result-corp", args: []string{"consume", "lis-test-result-corp"}, replicas: 1},
	{name: "consumer-lis-test-result-svip-repush", args: []string{"consume", "lis-test-result-svip-repush"}, replicas: 1},
	{name: "consumer-lis-test-result-svip1", args: []string{"consume", "lis-test-result-svip1"}, replicas: -1, min: 1, max: 1, lagThreshold: "20", hpa: "keda-hpa-kafka-imp-lis-test-result-svip1"},
	{name: "consumer-lis-test-result-svip2", args: []string{"consume", "lis-test-result-svip2"}, replicas: -1, min: 1, max: 1, lagThreshold: "20", hpa: "keda-hpa-kafka-imp-lis-test-result-svip2"},
	{name: "consumer-lis-test-status", args: []string{"consume", "lis-test-status"}, replicas: -1, min: 2, max: 3, lagThreshold: "20", hpa: "keda-hpa-kafka-imp-lis-vid-status"},
	{name: "consumer-worker", args: []string{"consume", "worker"}, replicas: -1, min: 1, max: 15, lagThreshold: "15", hpa: "keda-hpa-kafka-imp-consumer-worker"},
	{name: "consumer-worker-order", args: []string{"consume", "worker-order"}, replicas: 2},
	// The 15 scaled-to-zero Deployments, minus Flower.
	{name: "consumer-group", args: []string{"consume", "group"}, replicas: 0},
	{name: "consumer-investigation", args: []string{"consume", "investigation"}, replicas: 0},
	{name: "consumer-iris-test-result", args: []string{"consume", "iris-test-result"}, replicas: 0},
	{name: "consumer-orders", args: []string{"consume", "orders"}, replicas: 0},
	{name: "consumer-promotion", args: []string{"consume", "promotion"}, replicas: 0},
	{name: "consumer-status-attune", args: []string{"consume", "status-attune"}, replicas: 0},
	{name: "consumer-test-result", args: []string{"consume", "test-result"}, replicas: 0},
	{name: "worker-create-order", args: []string{"consume", "worker-create-order"}, replicas: 0},
	{name: "worker-default", args: []string{"consume", "worker-default"}, replicas: 0},
	{name: "worker-notifications", args: []string{"consume", "worker-notifications"}, replicas: 0},
	{name: "worker-pdf", args: []string{"consume", "worker-pdf"}, replicas: 0},
}

// criticalSeed are the consumers the seed wants at two replicas and the
// brief wants protected by disruption budgets, plus the api.
var criticalSeed = []string{"api", "consumer-lis-orders", "consumer-lis-test-result", "consumer-lis-test-result-b2b", "consumer-lis-test-status"}

// TestSeedNamespace: the default values render the seed's namespace —
// the same 26 Deployments under the same names, the same replica counts
// and autoscaling ranges (raised where the seed recommends), the HPA names
// its runbook uses, and the recommendations switched on.
func TestSeedNamespace(t *testing.T) {
	t.Parallel()
	r := renderT(t, release(nil))
	deps := map[string]*appsv1.Deployment{}
	for _, d := range Find[*appsv1.Deployment](r.objs) {
		deps[d.Name] = d
	}
	hpas := map[string]*autoscalingv2.HorizontalPodAutoscaler{}
	for _, h := range Find[*autoscalingv2.HorizontalPodAutoscaler](r.objs) {
		hpas[h.Spec.ScaleTargetRef.Name] = h
	}
	sos := map[string]*ScaledObject{}
	for _, so := range Find[*ScaledObject](r.objs) {
		sos[so.Spec.ScaleTargetRef.Name] = so
	}
	if len(deps) != len(seed) || len(seed) != 26 {
		t.Errorf("rendered %d Deployments, the seed has %d (26)", len(deps), len(seed))
	}
	for _, w := range seed {
		d := deps[w.name]
		if d == nil {
			t.Errorf("Deployment %s of the seed is not rendered", w.name)
			continue
		}
		if got := d.Spec.Template.Spec.Containers[0].Args; !slices.Equal(got, w.args) {
			t.Errorf("%s runs imp %v, want imp %v", w.name, got, w.args)
		}
		if w.replicas >= 0 {
			if d.Spec.Replicas == nil || *d.Spec.Replicas != w.replicas {
				t.Errorf("%s: replicas %v, want %d", w.name, ptrString(d.Spec.Replicas), w.replicas)
			}
			if hpas[w.name] != nil || sos[w.name] != nil {
				t.Errorf("%s is autoscaled; the seed runs it at a fixed %d", w.name, w.replicas)
			}
			continue
		}
		if w.lagThreshold == "" {
			h := hpas[w.name]
			if h == nil {
				t.Errorf("%s has no HPA", w.name)
				continue
			}
			if h.Name != w.hpa || *h.Spec.MinReplicas != w.min || h.Spec.MaxReplicas != w.max {
				t.Errorf("HPA %s %d-%d, want %s %d-%d", h.Name, *h.Spec.MinReplicas, h.Spec.MaxReplicas, w.hpa, w.min, w.max)
			}
			continue
		}
		so := sos[w.name]
		if so == nil {
			t.Errorf("%s has no ScaledObject", w.name)
			continue
		}
		if so.Name != w.name {
			t.Errorf("ScaledObject %s, want %s (the seed's `kubectl describe scaledobject %s`)", so.Name, w.name, w.name)
		}
		if *so.Spec.MinReplicaCount != w.min || *so.Spec.MaxReplicaCount != w.max {
			t.Errorf("%s: KEDA %d-%d, want %d-%d", w.name, *so.Spec.MinReplicaCount, *so.Spec.MaxReplicaCount, w.min, w.max)
		}
		if got := so.Spec.Advanced.HorizontalPodAutoscalerConfig.Name; got != w.hpa {
			t.Errorf("%s: KEDA's HPA is %s, the seed's is %s", w.name, got, w.hpa)
		}
		tr := so.Spec.Triggers[0]
		if tr.Type != "kafka" || tr.Metadata["lagThreshold"] != w.lagThreshold {
			t.Errorf("%s: trigger %s lagThreshold %s, want kafka %s", w.name, tr.Type, tr.Metadata["lagThreshold"], w.lagThreshold)
		}
	}

	// The api's HPA targets: "CPU: 2%/100%, Mem: 255MB/1000Mi".
	h := hpas["api"]
	var cpu, mem bool
	for _, m := range h.Spec.Metrics {
		switch {
		case m.Resource.Name == corev1.ResourceCPU && m.Resource.Target.Type == autoscalingv2.UtilizationMetricType && *m.Resource.Target.AverageUtilization == 100:
			cpu = true
		case m.Resource.Name == corev1.ResourceMemory && m.Resource.Target.Type == autoscalingv2.AverageValueMetricType && m.Resource.Target.AverageValue.Cmp(quantity("1000Mi")) == 0:
			mem = true
		}
	}
	if !cpu || !mem {
		t.Errorf("api HPA metrics %+v, want cpu 100%% utilisation and memory 1000Mi average value", h.Spec.Metrics)
	}

	var pdbs []string
	for _, p := range Find[*policyv1.PodDisruptionBudget](r.objs) {
		pdbs = append(pdbs, p.Name)
	}
	slices.Sort(pdbs)
	if !slices.Equal(pdbs, criticalSeed) {
		t.Errorf("PodDisruptionBudgets %v, want %v", pdbs, criticalSeed)
	}

	// Services: api and dashboard (the seed's flower), port 80 to 8080;
	// ClusterIP by default.
	svcs := map[string]*corev1.Service{}
	for _, s := range Find[*corev1.Service](r.objs) {
		svcs[s.Name] = s
	}
	for _, name := range []string{"api", "dashboard"} {
		s := svcs[name]
		if s == nil {
			t.Errorf("Service %s is not rendered", name)
			continue
		}
		if s.Spec.Type != corev1.ServiceTypeClusterIP || s.Spec.Ports[0].Port != 80 || s.Spec.Ports[0].TargetPort.String() != "http" {
			t.Errorf("Service %s: %s port %d → %s, want ClusterIP 80 → http", name, s.Spec.Type, s.Spec.Ports[0].Port, s.Spec.Ports[0].TargetPort.String())
		}
	}
	if api := svcs["api"]; api != nil && (len(api.Spec.Ports) != 2 || api.Spec.Ports[1].Name != "mllp" || api.Spec.Ports[1].Port != 2575) {
		t.Errorf("Service api ports %+v, want http 80 and mllp 2575 (HL7 from the LIS)", api.Spec.Ports)
	}
	if len(svcs) != 2 {
		t.Errorf("rendered Services %v, the seed has api and flower (dashboard)", sortedKeys(svcs))
	}
}

// TestReportsShared: consumer-worker renders PDF reports and the api
// serves them, so both mount the same ReadWriteMany claim at
// IMP_REPORTS_DIR; nobody else mounts it.
func TestReportsShared(t *testing.T) {
	t.Parallel()
	r := renderT(t, release(nil))
	claims := map[string]*corev1.PersistentVolumeClaim{}
	for _, c := range Find[*corev1.PersistentVolumeClaim](r.objs) {
		claims[c.Name] = c
	}
	var cm *corev1.ConfigMap
	for _, c := range Find[*corev1.ConfigMap](r.objs) {
		cm = c
	}
	dir := cm.Data["IMP_REPORTS_DIR"]
	var mounting []string
	for _, d := range Find[*appsv1.Deployment](r.objs) {
		pod := d.Spec.Template.Spec
		for _, v := range pod.Volumes {
			if v.PersistentVolumeClaim == nil {
				continue
			}
			mounting = append(mounting, d.Name)
			pvc := claims[v.PersistentVolumeClaim.ClaimName]
			if pvc == nil || !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
				t.Errorf("%s mounts claim %s, which is not a rendered ReadWriteMany claim", d.Name, v.PersistentVolumeClaim.ClaimName)
			}
			found := false
			for _, m := range pod.Containers[0].VolumeMounts {
				found = found || (m.Name == v.Name && m.MountPath == dir && !m.ReadOnly)
			}
			if !found {
				t.Errorf("%s does not mount %s writable at IMP_REPORTS_DIR %q", d.Name, v.Name, dir)
			}
		}
	}
	slices.Sort(mounting)
	if want := []string{"api", "consumer-worker"}; !slices.Equal(mounting, want) {
		t.Errorf("the reports claim is mounted by %v, want %v", mounting, want)
	}
}

// TestSeedNodePorts: switched to NodePort, the Services take the seed's
// node ports; values-production.yaml does so for the api, which external
// systems reach on 31985.
func TestSeedNodePorts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    Release
		want map[string]int32
	}{
		{"both", release(nil, "api.service.type=NodePort", "dashboard.service.type=NodePort"), map[string]int32{"api": 31985, "dashboard": 30944}},
		{"production", release([]string{productionFile}), map[string]int32{"api": 31985, "dashboard": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := renderT(t, tc.r)
			for _, s := range Find[*corev1.Service](r.objs) {
				if got := s.Spec.Ports[0].NodePort; got != tc.want[s.Name] {
					t.Errorf("Service %s nodePort %d, want %d", s.Name, got, tc.want[s.Name])
				}
			}
		})
	}
}

// TestRecommendationsCanBeTurnedOff: each seed recommendation is a value,
// and turning them off gives back the seed's own shape.
func TestRecommendationsCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	r := renderT(t, release(nil, "resilience.baselineReplicas=1", "resilience.podDisruptionBudget.enabled=false",
		"dashboard.enabled=false", "renderDisabledConsumers=false"))
	if n := len(Find[*policyv1.PodDisruptionBudget](r.objs)); n != 0 {
		t.Errorf("%d PodDisruptionBudgets with budgets off", n)
	}
	for _, so := range Find[*ScaledObject](r.objs) {
		for _, w := range seed {
			if w.name == so.Name && w.min == 2 && *so.Spec.MinReplicaCount != 1 {
				t.Errorf("%s: minimum %d with the baseline off; the seed has 1", so.Name, *so.Spec.MinReplicaCount)
			}
		}
	}
	for _, d := range Find[*appsv1.Deployment](r.objs) {
		if d.Name == "dashboard" || (d.Spec.Replicas != nil && *d.Spec.Replicas == 0) {
			t.Errorf("Deployment %s rendered although disabled and cleaned up", d.Name)
		}
	}
	if got := len(Find[*appsv1.Deployment](r.objs)); got != 14 {
		t.Errorf("%d Deployments after the cleanup, want the seed's 14 running ones (api and 13 consumers)", got)
	}
}

// quantity parses a Kubernetes quantity.
func quantity(s string) resource.Quantity { return resource.MustParse(s) }

func ptrString(p *int32) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(int(*p))
}
