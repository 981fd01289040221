// Package lab is IMP's domain: customers, employees, the test catalog,
// orders, results and statuses, with the validation rules that decide what
// IMP accepts and the tier routing of results.
//
// It must never import transport or storage code (HTTP, Kafka, SQL, HL7):
// those packages depend on lab, never the other way round.
package lab
