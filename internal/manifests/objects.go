package manifests

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Object is one decoded manifest.
type Object struct {
	// Source is the template that rendered it (from Helm's "# Source:").
	Source string
	// Kind and Name identify it.
	Kind, Name string
	// Obj is the typed object: *appsv1.Deployment, *ScaledObject, ...
	Obj any
}

// Key is "Kind/name".
func (o Object) Key() string { return o.Kind + "/" + o.Name }

// kinds maps each apiVersion+kind the chart may render to its Go type.
// Anything else is an error: a new kind needs a type here first.
var kinds = map[string]func() any{
	"apps/v1 Deployment":                        func() any { return new(appsv1.Deployment) },
	"apps/v1 StatefulSet":                       func() any { return new(appsv1.StatefulSet) },
	"v1 Service":                                func() any { return new(corev1.Service) },
	"v1 ConfigMap":                              func() any { return new(corev1.ConfigMap) },
	"v1 Secret":                                 func() any { return new(corev1.Secret) },
	"v1 ServiceAccount":                         func() any { return new(corev1.ServiceAccount) },
	"v1 PersistentVolumeClaim":                  func() any { return new(corev1.PersistentVolumeClaim) },
	"autoscaling/v2 HorizontalPodAutoscaler":    func() any { return new(autoscalingv2.HorizontalPodAutoscaler) },
	"policy/v1 PodDisruptionBudget":             func() any { return new(policyv1.PodDisruptionBudget) },
	"batch/v1 Job":                              func() any { return new(batchv1.Job) },
	KEDAGroupVersion + " ScaledObject":          func() any { return new(ScaledObject) },
	KEDAGroupVersion + " TriggerAuthentication": func() any { return new(TriggerAuthentication) },
}

var sourceLine = regexp.MustCompile(`(?m)^# Source: (.+)$`)

// Decode splits a manifest stream into documents and decodes each strictly
// into its Kubernetes (or KEDA) Go type: unknown fields, fields in the
// wrong case, duplicate fields and YAML that is not valid JSON-compatible
// YAML are errors, as they are for the API server's strict field
// validation. Every error is returned, each naming its document.
func Decode(manifest string) ([]Object, error) {
	var (
		out  []Object
		errs []error
	)
	for i, doc := range splitDocuments(manifest) {
		src := fmt.Sprintf("document %d", i+1)
		if m := sourceLine.FindStringSubmatch(doc); m != nil {
			src = m[1]
		}
		o, err := decodeOne(doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", src, err))
			continue
		}
		o.Source = src
		out = append(out, o)
	}
	return out, errors.Join(errs...)
}

// splitDocuments returns the non-empty YAML documents of a stream.
func splitDocuments(s string) []string {
	var (
		docs []string
		cur  strings.Builder
	)
	flush := func() {
		if hasContent(cur.String()) {
			docs = append(docs, cur.String())
		}
		cur.Reset()
	}
	for line := range strings.Lines(s) {
		if t := strings.TrimRight(line, " \r\n"); t == "---" || strings.HasPrefix(t, "--- ") {
			flush()
			continue
		}
		cur.WriteString(line)
	}
	flush()
	return docs
}

// hasContent reports whether a document has anything but comments.
func hasContent(doc string) bool {
	for line := range strings.SplitSeq(doc, "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

func decodeOne(doc string) (Object, error) {
	j, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		return Object{}, fmt.Errorf("yaml: %w", err)
	}
	var tm metav1.TypeMeta
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(j, &tm); err != nil {
		return Object{}, err
	}
	newObj, ok := kinds[tm.APIVersion+" "+tm.Kind]
	if !ok {
		return Object{}, fmt.Errorf("%s %s is not a kind IMP's chart may render (add its type to kinds)", tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	if err := UnmarshalStrict(j, obj); err != nil {
		return Object{}, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	meta, err := objectMeta(obj)
	if err != nil {
		return Object{}, err
	}
	return Object{Kind: tm.Kind, Name: meta.Name, Obj: obj}, nil
}

// UnmarshalStrict decodes JSON into v case-sensitively and fails on
// unknown or duplicate fields, as Kubernetes' strict decoding does.
func UnmarshalStrict(j []byte, v any) error {
	strict, err := sigsjson.UnmarshalStrict(j, v, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		msgs := make([]string, len(strict))
		for i, e := range strict {
			msgs[i] = e.Error()
		}
		return fmt.Errorf("strict decoding: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// objectMeta returns the metadata of any decoded object.
func objectMeta(obj any) (*metav1.ObjectMeta, error) {
	type metaHolder interface{ GetObjectMeta() metav1.Object }
	switch o := obj.(type) {
	case *ScaledObject:
		return &o.ObjectMeta, nil
	case *TriggerAuthentication:
		return &o.ObjectMeta, nil
	case metaHolder:
		m, ok := o.GetObjectMeta().(*metav1.ObjectMeta)
		if !ok {
			return nil, fmt.Errorf("%T: unexpected metadata type", obj)
		}
		return m, nil
	}
	return nil, fmt.Errorf("%T has no metadata", obj)
}

// Find returns the decoded objects of one Go type.
func Find[T any](objs []Object) []T {
	var out []T
	for _, o := range objs {
		if t, ok := o.Obj.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
