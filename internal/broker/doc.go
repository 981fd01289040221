// Package broker is IMP's Kafka layer on franz-go: client options for an
// external cluster, the embedded Kafka-protocol broker (kfake with a data
// directory) for the single-binary default, an acks=all idempotent producer,
// topic provisioning with kadm, and consumer-group lag.
//
// It knows topics, records and headers, never the lab domain. It must never
// log record values: they carry patient data.
package broker
