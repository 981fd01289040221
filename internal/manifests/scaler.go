package manifests

// KEDAKafkaReplicas is the replica count KEDA's kafka scaler and the HPA
// it drives settle on, written from their source rather than from IMP's
// consumer.DesiredReplicas so that the two can be compared:
//
//   - the scaler sums the group's lag over the watched topic's partitions;
//     unless allowIdleConsumers is set, when totalLag/lagThreshold (integer
//     division) exceeds the partition count it reports partitions ×
//     lagThreshold instead (kafka_scaler.go, getTotalLag);
//   - the HPA targets that metric as an AverageValue of lagThreshold per
//     pod: desired = ceil(metric / lagThreshold), clamped to
//     [minReplicaCount, maxReplicaCount].
//
// This is the steady state: the HPA's 10% tolerance and its stabilisation
// windows only delay reaching it. minReplicaCount is at least 1 here; with
// 0 KEDA itself scales to zero below activationLagThreshold.
func KEDAKafkaReplicas(totalLag int64, partitions, lagThreshold, minReplicas, maxReplicas int) int {
	metric := totalLag
	t := int64(lagThreshold)
	if p := int64(partitions); metric/t > p {
		metric = p * t
	}
	desired := int((metric + t - 1) / t)
	return min(max(desired, minReplicas), maxReplicas)
}
