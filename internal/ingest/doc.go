// Package ingest is how records enter IMP's streams, whoever accepted
// them (the REST API, the MLLP listener, a legacy bridge): it stamps the
// message id and correlation headers, routes results to the stream of the
// customer's tier, and returns only after the broker acknowledged.
//
// It holds no transport code of its own beyond the producer, and must
// never log payloads.
package ingest
