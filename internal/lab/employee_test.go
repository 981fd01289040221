package lab

import (
	"strings"
	"testing"
)

func validEmployee() Employee {
	return Employee{
		ID:            "emp-0042",
		Version:       3,
		GivenName:     "Ada",
		FamilyName:    "Okafor",
		Role:          RolePathologist,
		Department:    "Histopathology",
		Email:         "ada.okafor@lab.example",
		Phone:         "+44 20 7946 0958",
		LicenseNumber: "GMC-7012345",
		Active:        true,
		UpdatedAt:     t0,
	}
}

func TestEmployeeValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		edit  func(*Employee)
		field string // "" when valid
	}{
		{"valid", func(*Employee) {}, ""},
		{"minimal", func(e *Employee) {
			*e = Employee{ID: "e1", FamilyName: "Okafor", Role: RoleCourier}
		}, ""},
		{"every role", func(e *Employee) { e.Role = RoleAdmin }, ""},
		{"license with slash and space", func(e *Employee) { e.LicenseNumber = "12/3456 A" }, ""},
		{"missing id", func(e *Employee) { e.ID = "" }, "id"},
		{"bad id", func(e *Employee) { e.ID = "emp 42" }, "id"},
		{"long id", func(e *Employee) { e.ID = strings.Repeat("e", 65) }, "id"},
		{"negative version", func(e *Employee) { e.Version = -1 }, "version"},
		{"missing family name", func(e *Employee) { e.FamilyName = " " }, "family_name"},
		{"long family name", func(e *Employee) { e.FamilyName = strings.Repeat("x", 101) }, "family_name"},
		{"long given name", func(e *Employee) { e.GivenName = strings.Repeat("x", 101) }, "given_name"},
		{"missing role", func(e *Employee) { e.Role = "" }, "role"},
		{"unknown role", func(e *Employee) { e.Role = "janitor" }, "role"},
		{"long department", func(e *Employee) { e.Department = strings.Repeat("d", 101) }, "department"},
		{"bad email", func(e *Employee) { e.Email = "ada.okafor" }, "email"},
		{"bad phone", func(e *Employee) { e.Phone = "ext. 42" }, "phone"},
		{"bad license", func(e *Employee) { e.LicenseNumber = "#1234" }, "license_number"},
		{"long license", func(e *Employee) { e.LicenseNumber = strings.Repeat("1", 33) }, "license_number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := validEmployee()
			tc.edit(&e)
			if tc.field == "" {
				wantFields(t, e.Validate())
			} else {
				wantFields(t, e.Validate(), tc.field)
			}
		})
	}
}

func TestEmployeeValidateReportsEveryField(t *testing.T) {
	t.Parallel()
	e := Employee{Version: -1, Role: "x", Email: "x"}
	wantFields(t, e.Validate(), "id", "version", "family_name", "role", "email")
}

func TestRoleValid(t *testing.T) {
	t.Parallel()
	for _, r := range Roles {
		if !r.Valid() {
			t.Errorf("%q.Valid() = false", r)
		}
	}
	for _, r := range []Role{"", "Pathologist", "nurse"} {
		if r.Valid() {
			t.Errorf("%q.Valid() = true", r)
		}
	}
}
