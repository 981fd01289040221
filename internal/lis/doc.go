// Package lis is IMP's side of the Laboratory Information System
// interface: it sends orders to the LIS as HL7 v2 over MLLP (Sender, used
// by consumer-lis-orders) and takes HL7 v2 in from the LIS and partners
// (Inbound, behind the MLLP listener and POST /v1/hl7): results are routed
// to their tier's stream, statuses to lis-test-status, orders and patients
// to lis-orders and customer — and the ACK is written only after the
// broker acknowledged every record.
//
// Package lis/sim is an LIS simulator for demos and end-to-end tests. This
// package never logs message contents.
package lis
