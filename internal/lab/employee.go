package lab

import (
	"regexp"
	"time"
)

// Role is what an employee does at the lab. The LIS staff list and HR sync
// key their permissions off it.
type Role string

// The roles IMP knows.
const (
	RolePhlebotomist Role = "phlebotomist"
	RoleTechnologist Role = "technologist"
	RolePathologist  Role = "pathologist"
	RoleClinician    Role = "clinician"
	RoleAdmin        Role = "admin"
	RoleCourier      Role = "courier"
)

// Roles lists every role.
var Roles = []Role{RolePhlebotomist, RoleTechnologist, RolePathologist, RoleClinician, RoleAdmin, RoleCourier}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Employee is a member of staff, as the employee master holds it. Version
// orders updates from the source system (HR or the LIS): a record with a
// lower version than the stored one is stale and never applied.
//
// Active has no default: a record that leaves it out describes an inactive
// employee, so producers must always send it.
type Employee struct {
	ID            string    `json:"id"`
	Version       int64     `json:"version"`
	GivenName     string    `json:"given_name"`
	FamilyName    string    `json:"family_name"`
	Role          Role      `json:"role"`
	Department    string    `json:"department,omitempty"`
	Email         string    `json:"email,omitempty"`
	Phone         string    `json:"phone,omitempty"`
	LicenseNumber string    `json:"license_number,omitempty"` // professional licence, e.g. a pathologist's; checked only when present
	Active        bool      `json:"active"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
}

// Validate checks every field and names each one that is wrong.
func (e *Employee) Validate() error {
	var p Problems
	p.ID("id", e.ID)
	p.NonNegative("version", e.Version)
	if p.Required("family_name", e.FamilyName) {
		p.MaxLen("family_name", e.FamilyName, 100)
	}
	p.MaxLen("given_name", e.GivenName, 100)
	if p.Required("role", string(e.Role)) && !e.Role.Valid() {
		p.Add("role", "must be one of phlebotomist, technologist, pathologist, clinician, admin, courier")
	}
	p.MaxLen("department", e.Department, 100)
	p.Email("email", e.Email)
	p.Phone("phone", e.Phone)
	if e.LicenseNumber != "" && !licensePattern.MatchString(e.LicenseNumber) {
		p.Add("license_number", "must be 1-32 letters, digits, spaces, '.', '/' or '-'")
	}
	return p.Err()
}

// Licence numbers differ by issuer ("MD-12345", "12/3456", "A 1234"); this
// keeps them to characters every downstream system (HL7 XCN, HR CSV) takes.
var licensePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ./-]{0,31}$`)
