// Package manifests renders IMP's Helm chart (deploy/helm/imp) with Helm's
// own Go SDK and validates every object without a cluster: strict decoding
// into the Kubernetes API types and into KEDA's ScaledObject and
// TriggerAuthentication (unknown fields are errors), then the checks the
// API server cannot make on its own — references resolve, autoscaled
// Deployments leave replicas alone, budgets can be met, pods are hardened.
//
// Its tests hold the chart to the seed's namespace, to IMP's consumer and
// stream registries, to the committed plain manifests (deploy/manifests),
// and KEDA's scaling formula to consumer.DesiredReplicas.
//
// It must never talk to a cluster or a registry, and nothing in the imp
// binary may import it: Helm's SDK is for the tests.
package manifests
