// Package consumer is IMP's consumer runtime: every consumer and worker of
// the seed is a Definition in one registry, run by the same group Runner
// through the same handler pipeline.
//
// The pipeline reads like watermill's router: a Handler at the centre, then
// small middlewares, one file each — recover.go (a panic fails only its
// record), timeout.go, retry.go (short in-place retries), dedupe.go (the
// processed-message claim in the same store transaction as the effect) —
// and around them the runner's retry ladder (ladder.go): a failed record is
// published to its stream's .retry topic with headers saying when it may run
// again, or to .dlq once attempts are exhausted or the error is permanent.
// Offsets are committed only after every record of a poll has a durable
// outcome: effect committed, or record moved to retry or DLQ.
//
// Handlers must never log payloads or patient identifiers; log message ids,
// streams, partitions and offsets.
package consumer
