package manifests

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// CheckOptions says what lives outside the rendered objects.
type CheckOptions struct {
	// ExternalSecrets are Secrets the objects may reference without
	// rendering them (secrets.existingSecret, mllp.tlsSecret).
	ExternalSecrets []string
	// ExternalClaims are PersistentVolumeClaims they may reference
	// (reports.persistence.existingClaim).
	ExternalClaims []string
}

// set is the decoded objects by kind and name.
type set struct {
	deployments   map[string]*appsv1.Deployment
	services      map[string]*corev1.Service
	configMaps    map[string]*corev1.ConfigMap
	secrets       map[string]*corev1.Secret
	accounts      map[string]*corev1.ServiceAccount
	hpas          map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs          map[string]*policyv1.PodDisruptionBudget
	scaledObjects map[string]*ScaledObject
	triggerAuths  map[string]*TriggerAuthentication
	claims        map[string]*corev1.PersistentVolumeClaim
}

func index(objs []Object) set {
	s := set{
		deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		accounts: map[string]*corev1.ServiceAccount{}, hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, scaledObjects: map[string]*ScaledObject{},
		triggerAuths: map[string]*TriggerAuthentication{}, claims: map[string]*corev1.PersistentVolumeClaim{},
	}
	for _, o := range objs {
		switch x := o.Obj.(type) {
		case *appsv1.Deployment:
			s.deployments[o.Name] = x
		case *corev1.Service:
			s.services[o.Name] = x
		case *corev1.ConfigMap:
			s.configMaps[o.Name] = x
		case *corev1.Secret:
			s.secrets[o.Name] = x
		case *corev1.ServiceAccount:
			s.accounts[o.Name] = x
		case *autoscalingv2.HorizontalPodAutoscaler:
			s.hpas[o.Name] = x
		case *policyv1.PodDisruptionBudget:
			s.pdbs[o.Name] = x
		case *ScaledObject:
			s.scaledObjects[o.Name] = x
		case *TriggerAuthentication:
			s.triggerAuths[o.Name] = x
		case *corev1.PersistentVolumeClaim:
			s.claims[o.Name] = x
		}
	}
	return s
}

// checker collects problems.
type checker struct {
	set
	opts CheckOptions
	errs []error
}

func (c *checker) fail(what, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s: %s", what, fmt.Sprintf(format, args...)))
}

// Check validates what strict decoding cannot: names and labels, that
// every reference (selector, scale target, envFrom, volume, probe port,
// authenticationRef) resolves, that autoscaled Deployments leave their
// replicas to the autoscaler, that PodDisruptionBudgets can be satisfied,
// that every container is hardened and bounded, that the grace period
// covers IMP's drain, and that KEDA's kafka triggers are well-formed.
func Check(objs []Object, opts CheckOptions) []error {
	c := &checker{set: index(objs), opts: opts}
	seen := map[string]bool{}
	for _, o := range objs {
		if seen[o.Key()] {
			c.fail(o.Key(), "rendered twice")
		}
		seen[o.Key()] = true
		meta, err := objectMeta(o.Obj)
		if err != nil {
			c.fail(o.Key(), "%v", err)
			continue
		}
		c.checkMeta(o, meta)
	}
	for _, name := range sortedKeys(c.deployments) {
		c.checkDeployment(name, c.deployments[name])
	}
	for _, name := range sortedKeys(c.services) {
		c.checkService(name, c.services[name])
	}
	for _, name := range sortedKeys(c.hpas) {
		c.checkHPA(name, c.hpas[name])
	}
	for _, name := range sortedKeys(c.scaledObjects) {
		c.checkScaledObject(name, c.scaledObjects[name])
	}
	for _, name := range sortedKeys(c.triggerAuths) {
		c.checkTriggerAuth(name, c.triggerAuths[name])
	}
	for _, name := range sortedKeys(c.pdbs) {
		c.checkPDB(name, c.pdbs[name])
	}
	return c.errs
}

func (c *checker) checkMeta(o Object, m *metav1.ObjectMeta) {
	nameErrs := validation.IsDNS1123Subdomain(m.Name)
	if o.Kind == "Service" {
		nameErrs = validation.IsDNS1035Label(m.Name)
	}
	for _, e := range nameErrs {
		c.fail(o.Key(), "name: %s", e)
	}
	for k, v := range m.Labels {
		for _, e := range validation.IsQualifiedName(k) {
			c.fail(o.Key(), "label key %q: %s", k, e)
		}
		for _, e := range validation.IsValidLabelValue(v) {
			c.fail(o.Key(), "label %s value %q: %s", k, v, e)
		}
	}
	if m.Namespace == "" {
		c.fail(o.Key(), "no namespace: the plain manifests must say where they go")
	}
}

// minReplicas is what a Deployment runs at least: its autoscaler's
// minimum, or its fixed replicas (1 when unset).
func (c *checker) minReplicas(name string) int32 {
	for _, h := range c.hpas {
		if h.Spec.ScaleTargetRef.Name == name && h.Spec.MinReplicas != nil {
			return *h.Spec.MinReplicas
		}
	}
	for _, so := range c.scaledObjects {
		if so.Spec.ScaleTargetRef != nil && so.Spec.ScaleTargetRef.Name == name {
			if so.Spec.MinReplicaCount == nil {
				return 0
			}
			return *so.Spec.MinReplicaCount
		}
	}
	if d := c.deployments[name]; d != nil && d.Spec.Replicas != nil {
		return *d.Spec.Replicas
	}
	return 1
}

// autoscalers lists what scales a Deployment.
func (c *checker) autoscalers(name string) []string {
	var out []string
	for _, n := range sortedKeys(c.hpas) {
		if t := c.hpas[n].Spec.ScaleTargetRef; t.Kind == "Deployment" && t.Name == name {
			out = append(out, "HorizontalPodAutoscaler/"+n)
		}
	}
	for _, n := range sortedKeys(c.scaledObjects) {
		if t := c.scaledObjects[n].Spec.ScaleTargetRef; t != nil && t.Name == name && (t.Kind == "" || t.Kind == "Deployment") {
			out = append(out, "ScaledObject/"+n)
		}
	}
	return out
}

func (c *checker) checkDeployment(name string, d *appsv1.Deployment) {
	what := "Deployment/" + name
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	switch {
	case err != nil:
		c.fail(what, "selector: %v", err)
	case sel.Empty():
		c.fail(what, "empty selector")
	case !sel.Matches(labels.Set(d.Spec.Template.Labels)):
		c.fail(what, "selector %s does not match the pod template's labels", sel)
	}
	if scalers := c.autoscalers(name); len(scalers) > 1 {
		c.fail(what, "scaled by %s at once: they would fight", strings.Join(scalers, " and "))
	} else if len(scalers) == 1 && d.Spec.Replicas != nil {
		c.fail(what, "sets replicas although %s owns them: every upgrade would reset the scale", scalers[0])
	}
	if d.Spec.Strategy.RollingUpdate != nil && d.Spec.Strategy.RollingUpdate.MaxUnavailable != nil &&
		d.Spec.Strategy.RollingUpdate.MaxUnavailable.String() != "0" {
		c.fail(what, "rollouts may drop below the wanted replicas (maxUnavailable %s)", d.Spec.Strategy.RollingUpdate.MaxUnavailable)
	}

	pod := d.Spec.Template.Spec
	if pod.ServiceAccountName == "" || c.accounts[pod.ServiceAccountName] == nil {
		c.fail(what, "service account %q is not rendered", pod.ServiceAccountName)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		c.fail(what, "mounts a service account token IMP never uses")
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		c.fail(what, "pod securityContext.runAsNonRoot is not true")
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		c.fail(what, "pod seccompProfile is not RuntimeDefault")
	}
	if len(pod.Containers) == 0 {
		c.fail(what, "no containers")
		return
	}
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
		switch {
		case v.PersistentVolumeClaim != nil:
			name := v.PersistentVolumeClaim.ClaimName
			if c.claims[name] == nil && !slices.Contains(c.opts.ExternalClaims, name) {
				c.fail(what, "volume %s: PersistentVolumeClaim %q is neither rendered nor an existing claim", v.Name, name)
			}
			if pvc := c.claims[name]; pvc != nil && !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
				c.fail(what, "volume %s: claim %q is not ReadWriteMany, so replicas on other nodes cannot mount it", v.Name, name)
			}
		case v.Secret != nil:
			if !c.secretExists(v.Secret.SecretName) {
				c.fail(what, "volume %s: Secret %q is neither rendered nor an existing secret", v.Name, v.Secret.SecretName)
			}
		}
	}
	for _, ct := range slices.Concat(pod.InitContainers, pod.Containers) {
		c.checkContainer(what+" container "+ct.Name, ct, volumes)
	}
	c.checkImpContainer(what, pod, pod.Containers[0])
}

func (c *checker) checkContainer(what string, ct corev1.Container, volumes map[string]bool) {
	if ct.Image == "" || strings.HasSuffix(ct.Image, ":latest") || !strings.ContainsAny(ct.Image, ":@") {
		c.fail(what, "image %q is not pinned to a tag or digest", ct.Image)
	}
	if sc := ct.SecurityContext; sc == nil {
		c.fail(what, "no securityContext")
	} else {
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			c.fail(what, "allowPrivilegeEscalation is not false")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			c.fail(what, "readOnlyRootFilesystem is not true")
		}
		if sc.Privileged != nil && *sc.Privileged {
			c.fail(what, "privileged")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			c.fail(what, "capabilities must drop ALL and add none")
		}
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := ct.Resources.Requests[r]
		lim, okLim := ct.Resources.Limits[r]
		if !okReq || !okLim {
			c.fail(what, "%s needs a request and a limit", r)
			continue
		}
		if req.Cmp(lim) > 0 {
			c.fail(what, "%s request %s exceeds its limit %s", r, req.String(), lim.String())
		}
	}
	for _, m := range ct.VolumeMounts {
		if !volumes[m.Name] {
			c.fail(what, "mounts volume %q that the pod does not define", m.Name)
		}
	}
	for _, e := range ct.EnvFrom {
		switch {
		case e.ConfigMapRef != nil:
			if c.configMaps[e.ConfigMapRef.Name] == nil {
				c.fail(what, "envFrom ConfigMap %q is not rendered", e.ConfigMapRef.Name)
			}
		case e.SecretRef != nil:
			if !c.secretExists(e.SecretRef.Name) {
				c.fail(what, "envFrom Secret %q is neither rendered nor an existing secret", e.SecretRef.Name)
			}
		}
	}
}

func (c *checker) secretExists(name string) bool {
	return c.secrets[name] != nil || slices.Contains(c.opts.ExternalSecrets, name)
}

// env returns the value a container sees for an IMP_* variable set
// through its envFrom ConfigMaps (explicit env wins).
func (c *checker) env(ct corev1.Container, key string) (string, bool) {
	for _, e := range ct.Env {
		if e.Name == key {
			return e.Value, true
		}
	}
	for _, e := range ct.EnvFrom {
		if e.ConfigMapRef == nil {
			continue
		}
		if cm := c.configMaps[e.ConfigMapRef.Name]; cm != nil {
			if v, ok := cm.Data[key]; ok {
				return v, true
			}
		}
	}
	return "", false
}

// checkImpContainer checks the imp process: its port, probes, writable
// mounts, and that the grace period covers its drain.
func (c *checker) checkImpContainer(what string, pod corev1.PodSpec, ct corev1.Container) {
	var port *corev1.ContainerPort
	for i, p := range ct.Ports {
		if p.Name == "http" {
			port = &ct.Ports[i]
		}
	}
	if port == nil {
		c.fail(what, "container %s has no port named http", ct.Name)
	} else if addr, ok := c.env(ct, "IMP_HTTP_ADDR"); !ok || !strings.HasSuffix(addr, ":"+strconv.Itoa(int(port.ContainerPort))) {
		c.fail(what, "IMP_HTTP_ADDR %q is not the http port %d", addr, port.ContainerPort)
	}
	probe := func(kind string, p *corev1.Probe, path string) {
		switch {
		case p == nil:
			c.fail(what, "no %s probe", kind)
		case p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http":
			c.fail(what, "%s probe must GET %s on port http", kind, path)
		}
	}
	probe("startup", ct.StartupProbe, "/healthz")
	probe("liveness", ct.LivenessProbe, "/healthz")
	probe("readiness", ct.ReadinessProbe, "/readyz")

	mounted := map[string]bool{}
	for _, m := range ct.VolumeMounts {
		if !m.ReadOnly {
			mounted[m.MountPath] = true
		}
	}
	dataDir, _ := c.env(ct, "IMP_DATA_DIR")
	for _, dir := range []string{"/tmp", dataDir} {
		if !strings.HasPrefix(dir, "/") || !mounted[dir] {
			c.fail(what, "%q must be a writable mount (the root filesystem is read-only)", dir)
		}
	}

	raw, ok := c.env(ct, "IMP_SHUTDOWN_TIMEOUT")
	shutdown, err := time.ParseDuration(raw)
	if !ok || err != nil {
		c.fail(what, "IMP_SHUTDOWN_TIMEOUT %q is not a duration", raw)
		return
	}
	need := shutdown
	if ct.Lifecycle != nil && ct.Lifecycle.PreStop != nil && ct.Lifecycle.PreStop.Sleep != nil {
		need += time.Duration(ct.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	grace := 30 * time.Second // Kubernetes' default
	if pod.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second
	}
	if grace <= need {
		c.fail(what, "terminationGracePeriodSeconds %s does not exceed the drain (%s: shutdown timeout plus preStop)", grace, need)
	}
}

// podsOf returns the Deployments whose pods a selector picks.
func (c *checker) podsOf(sel labels.Selector) []string {
	var out []string
	for _, n := range sortedKeys(c.deployments) {
		if sel.Matches(labels.Set(c.deployments[n].Spec.Template.Labels)) {
			out = append(out, n)
		}
	}
	return out
}

func (c *checker) checkService(name string, s *corev1.Service) {
	what := "Service/" + name
	if len(s.Spec.Selector) == 0 {
		c.fail(what, "no selector")
		return
	}
	targets := c.podsOf(labels.SelectorFromSet(s.Spec.Selector))
	if len(targets) != 1 {
		c.fail(what, "selects the pods of %d Deployments %v, want exactly one", len(targets), targets)
		return
	}
	d := c.deployments[targets[0]]
	for _, p := range s.Spec.Ports {
		found := false
		for _, ct := range d.Spec.Template.Spec.Containers {
			for _, cp := range ct.Ports {
				if p.TargetPort.String() == cp.Name || p.TargetPort.IntValue() == int(cp.ContainerPort) {
					found = true
				}
			}
		}
		if !found {
			c.fail(what, "port %s targets %s, which Deployment/%s does not expose", p.Name, p.TargetPort.String(), targets[0])
		}
		if p.NodePort != 0 {
			if s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
				c.fail(what, "nodePort %d on a %s service", p.NodePort, s.Spec.Type)
			}
			if p.NodePort < 30000 || p.NodePort > 32767 {
				c.fail(what, "nodePort %d outside the default range 30000-32767", p.NodePort)
			}
		}
	}
}

// target returns the Deployment an autoscaler scales.
func (c *checker) target(what, apiVersion, kind, name string) *appsv1.Deployment {
	if kind == "" {
		kind = "Deployment"
	}
	if apiVersion == "" {
		apiVersion = "apps/v1"
	}
	d := c.deployments[name]
	if kind != "Deployment" || apiVersion != "apps/v1" || d == nil {
		c.fail(what, "scale target %s %s/%s is not a rendered Deployment", apiVersion, kind, name)
		return nil
	}
	return d
}

func (c *checker) checkHPA(name string, h *autoscalingv2.HorizontalPodAutoscaler) {
	what := "HorizontalPodAutoscaler/" + name
	t := h.Spec.ScaleTargetRef
	d := c.target(what, t.APIVersion, t.Kind, t.Name)
	if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 1 || *h.Spec.MinReplicas > h.Spec.MaxReplicas {
		c.fail(what, "needs 1 ≤ minReplicas ≤ maxReplicas (%d)", h.Spec.MaxReplicas)
	}
	if len(h.Spec.Metrics) == 0 {
		c.fail(what, "no metrics")
	}
	for _, m := range h.Spec.Metrics {
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil {
			continue
		}
		tg := m.Resource.Target
		switch tg.Type {
		case autoscalingv2.UtilizationMetricType:
			if tg.AverageUtilization == nil || *tg.AverageUtilization <= 0 {
				c.fail(what, "%s utilization target must be positive", m.Resource.Name)
			}
			// Utilization is relative to requests: without one the HPA cannot compute it.
			if d != nil {
				for _, ct := range d.Spec.Template.Spec.Containers {
					if _, ok := ct.Resources.Requests[m.Resource.Name]; !ok {
						c.fail(what, "%s utilization needs a %s request on container %s", m.Resource.Name, m.Resource.Name, ct.Name)
					}
				}
			}
		case autoscalingv2.AverageValueMetricType:
			if tg.AverageValue == nil || tg.AverageValue.Sign() <= 0 {
				c.fail(what, "%s average value target must be positive", m.Resource.Name)
			} else if d != nil {
				// A memory target above the limit would never trigger before the OOM killer.
				for _, ct := range d.Spec.Template.Spec.Containers {
					if lim, ok := ct.Resources.Limits[m.Resource.Name]; ok && tg.AverageValue.Cmp(lim) >= 0 {
						c.fail(what, "%s target %s is not below container %s's limit %s", m.Resource.Name, tg.AverageValue.String(), ct.Name, lim.String())
					}
				}
			}
		default:
			c.fail(what, "%s target type %q", m.Resource.Name, tg.Type)
		}
	}
}

func (c *checker) checkScaledObject(name string, so *ScaledObject) {
	what := "ScaledObject/" + name
	sp := so.Spec
	if sp.ScaleTargetRef == nil || sp.ScaleTargetRef.Name == "" {
		c.fail(what, "no scaleTargetRef.name")
		return
	}
	c.target(what, sp.ScaleTargetRef.APIVersion, sp.ScaleTargetRef.Kind, sp.ScaleTargetRef.Name)
	lo, hi := int32(0), int32(100) // KEDA's defaults
	if sp.MinReplicaCount != nil {
		lo = *sp.MinReplicaCount
	}
	if sp.MaxReplicaCount != nil {
		hi = *sp.MaxReplicaCount
	}
	if lo < 0 || hi < 1 || lo > hi {
		c.fail(what, "needs 0 ≤ minReplicaCount (%d) ≤ maxReplicaCount (%d), maxReplicaCount ≥ 1", lo, hi)
	}
	if sp.PollingInterval != nil && *sp.PollingInterval < 1 {
		c.fail(what, "pollingInterval must be at least 1")
	}
	if sp.CooldownPeriod != nil && *sp.CooldownPeriod < 0 {
		c.fail(what, "cooldownPeriod must not be negative")
	}
	if sp.IdleReplicaCount != nil && *sp.IdleReplicaCount >= lo {
		c.fail(what, "idleReplicaCount must be below minReplicaCount")
	}
	if sp.Advanced != nil && sp.Advanced.HorizontalPodAutoscalerConfig != nil {
		if n := sp.Advanced.HorizontalPodAutoscalerConfig.Name; n != "" {
			for _, e := range validation.IsDNS1123Subdomain(n) {
				c.fail(what, "HPA name %q: %s", n, e)
			}
			if c.hpas[n] != nil {
				c.fail(what, "the HPA KEDA creates, %q, collides with a rendered HPA", n)
			}
		}
	}
	if len(sp.Triggers) == 0 {
		c.fail(what, "no triggers")
	}
	names := map[string]bool{}
	for i, t := range sp.Triggers {
		tw := fmt.Sprintf("%s trigger %d", what, i)
		if t.Type == "" {
			c.fail(tw, "no type")
		}
		if t.Name != "" {
			if names[t.Name] {
				c.fail(tw, "duplicate trigger name %q", t.Name)
			}
			names[t.Name] = true
		}
		if ref := t.AuthenticationRef; ref != nil {
			switch ref.Kind {
			case "", "TriggerAuthentication":
				if c.triggerAuths[ref.Name] == nil {
					c.fail(tw, "authenticationRef %q is not rendered", ref.Name)
				}
			case "ClusterTriggerAuthentication":
			default:
				c.fail(tw, "authenticationRef kind %q", ref.Kind)
			}
		}
		if t.Type == "kafka" {
			c.checkKafkaTrigger(tw, t)
		}
	}
}

// kafkaKeys are the kafka scaler's trigger metadata keys (KEDA v2,
// pkg/scalers/kafka_scaler.go); the *FromEnv forms read the scale target's
// environment.
var kafkaKeys = []string{
	"bootstrapServers", "bootstrapServersFromEnv", "consumerGroup", "consumerGroupFromEnv", "topic", "topicFromEnv",
	"partitionLimitation", "lagThreshold", "activationLagThreshold", "offsetResetPolicy", "allowIdleConsumers",
	"excludePersistentLag", "scaleToZeroOnInvalidOffset", "limitToPartitionsWithLag",
	"ensureEvenDistributionOfPartitions", "fullMetadata", "version", "tls", "unsafeSsl", "sasl", "saslTokenProvider",
	"awsRegion",
}

func (c *checker) checkKafkaTrigger(what string, t ScaleTrigger) {
	md := t.Metadata
	for _, k := range sortedKeys(md) {
		if !slices.Contains(kafkaKeys, k) {
			c.fail(what, "metadata %q is not a kafka scaler parameter", k)
		}
	}
	for _, k := range []string{"bootstrapServers", "consumerGroup", "topic", "lagThreshold"} {
		if md[k] == "" {
			c.fail(what, "metadata %s is required", k)
		}
	}
	for _, b := range strings.Split(md["bootstrapServers"], ",") {
		host, port, ok := strings.Cut(b, ":")
		if n, err := strconv.Atoi(port); !ok || host == "" || err != nil || n < 1 || n > 65535 {
			c.fail(what, "bootstrap server %q is not host:port", b)
		}
	}
	for _, k := range []string{"lagThreshold", "activationLagThreshold"} {
		if v, ok := md[k]; ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || (k == "lagThreshold" && n == 0) {
				c.fail(what, "%s %q is not a positive integer", k, v)
			}
		}
	}
	for _, k := range []string{"allowIdleConsumers", "excludePersistentLag", "scaleToZeroOnInvalidOffset", "limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions", "unsafeSsl"} {
		if v, ok := md[k]; ok {
			if _, err := strconv.ParseBool(v); err != nil {
				c.fail(what, "%s %q is not a boolean", k, v)
			}
		}
	}
	enum := func(k string, allowed ...string) {
		if v, ok := md[k]; ok && !slices.Contains(allowed, v) {
			c.fail(what, "%s %q is not one of %v", k, v, allowed)
		}
	}
	enum("offsetResetPolicy", "latest", "earliest")
	enum("tls", "enable", "disable")
	enum("sasl", "none", "plaintext", "scram_sha256", "scram_sha512", "oauthbearer", "gssapi")
	if s := md["sasl"]; s != "" && s != "none" && t.AuthenticationRef == nil {
		c.fail(what, "sasl %s needs an authenticationRef for the credentials", s)
	}
	if md["allowIdleConsumers"] == "true" {
		c.fail(what, "allowIdleConsumers would scale past the partition count: the extra consumers sit idle")
	}
}

func (c *checker) checkTriggerAuth(name string, ta *TriggerAuthentication) {
	what := "TriggerAuthentication/" + name
	for _, r := range ta.Spec.SecretTargetRef {
		if s := c.secrets[r.Name]; s != nil {
			if _, ok := s.Data[r.Key]; !ok {
				if _, ok := s.StringData[r.Key]; !ok {
					c.fail(what, "parameter %s: Secret %q has no key %s", r.Parameter, r.Name, r.Key)
				}
			}
		} else if !c.secretExists(r.Name) {
			c.fail(what, "parameter %s: Secret %q is neither rendered nor an existing secret", r.Parameter, r.Name)
		}
	}
	for _, r := range ta.Spec.ConfigMapTargetRef {
		cm := c.configMaps[r.Name]
		if cm == nil {
			c.fail(what, "parameter %s: ConfigMap %q is not rendered", r.Parameter, r.Name)
		} else if _, ok := cm.Data[r.Key]; !ok {
			c.fail(what, "parameter %s: ConfigMap %q has no key %s", r.Parameter, r.Name, r.Key)
		}
	}
}

func (c *checker) checkPDB(name string, p *policyv1.PodDisruptionBudget) {
	what := "PodDisruptionBudget/" + name
	if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
		c.fail(what, "set exactly one of minAvailable and maxUnavailable")
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
	if err != nil || sel.Empty() {
		c.fail(what, "selector: %v", err)
		return
	}
	targets := c.podsOf(sel)
	if len(targets) != 1 {
		c.fail(what, "selects the pods of %d Deployments %v, want exactly one", len(targets), targets)
		return
	}
	// A budget on fewer than two pods either blocks every node drain
	// (minAvailable ≥ replicas) or protects nothing.
	lo := c.minReplicas(targets[0])
	if lo < 2 {
		c.fail(what, "Deployment/%s may run %d replica(s): a disruption budget needs at least 2", targets[0], lo)
	}
	if m := p.Spec.MinAvailable; m != nil {
		n, err := intOrPercent(m.String(), lo)
		if err != nil || n >= int(lo) {
			c.fail(what, "minAvailable %s of %d replicas blocks every voluntary eviction", m, lo)
		}
	}
	if m := p.Spec.MaxUnavailable; m != nil {
		n, err := intOrPercent(m.String(), lo)
		if err != nil || n < 1 {
			c.fail(what, "maxUnavailable %s blocks every voluntary eviction", m)
		}
	}
}

func intOrPercent(s string, of int32) (int, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.Atoi(p)
		return n * int(of) / 100, err
	}
	return strconv.Atoi(s)
}
