package consumer

// DesiredReplicas is KEDA's kafka scaler formula applied to IMP's own lag:
// ceil(total lag / lagThreshold), at least Replicas (the minimum), at most
// MaxReplicas, and never more than the partitions that could be consumed.
func DesiredReplicas(s Scaling, totalLag int64, partitions int) int {
	if s.LagThreshold <= 0 {
		return s.Replicas
	}
	want := int((totalLag + int64(s.LagThreshold) - 1) / int64(s.LagThreshold))
	hi := s.MaxReplicas
	if hi == 0 {
		hi = s.Replicas
	}
	if partitions > 0 && partitions < hi {
		hi = partitions
	}
	return max(s.Replicas, min(want, hi))
}
