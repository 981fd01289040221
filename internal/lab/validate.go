package lab

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// FieldError names one field that failed validation and why. Field is a
// dotted JSON path ("tests[2].code"), so API clients can point at it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Reason }

// ValidationError lists every field that failed validation.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// ErrInvalid is matched by every *ValidationError (errors.Is).
var ErrInvalid = errors.New("invalid")

// Is makes errors.Is(err, ErrInvalid) true for validation errors.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Problems collects field errors while validating. The zero value is ready.
type Problems struct {
	fields []FieldError
}

// Add records a problem with field.
func (p *Problems) Add(field, format string, args ...any) {
	p.fields = append(p.fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Required records a problem when v is blank.
func (p *Problems) Required(field, v string) bool {
	if strings.TrimSpace(v) == "" {
		p.Add(field, "is required")
		return false
	}
	return true
}

// MaxLen records a problem when v is longer than n bytes.
func (p *Problems) MaxLen(field, v string, n int) {
	if len(v) > n {
		p.Add(field, "must be at most %d characters", n)
	}
}

// ID checks an identifier: required, at most 64 characters from a safe set,
// so it can be a Kafka key, a URL path segment and an HL7 field unescaped.
func (p *Problems) ID(field, v string) {
	if !p.Required(field, v) {
		return
	}
	if len(v) > 64 || !idPattern.MatchString(v) {
		p.Add(field, "must be 1-64 characters of letters, digits, '.', '_' or '-'")
	}
}

// OptionalID checks an identifier only when it is present.
func (p *Problems) OptionalID(field, v string) {
	if v != "" {
		p.ID(field, v)
	}
}

// Date checks an optional calendar date in YYYY-MM-DD form.
func (p *Problems) Date(field, v string) {
	if v == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		p.Add(field, "must be a date in YYYY-MM-DD form")
	}
}

// OneOf checks that v is one of allowed.
func (p *Problems) OneOf(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	p.Add(field, "must be one of %s", strings.Join(allowed, ", "))
}

// Err returns nil when nothing was recorded, else a *ValidationError.
func (p *Problems) Err() error {
	if len(p.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: p.fields}
}

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phonePattern = regexp.MustCompile(`^\+?[0-9 ()-]{5,20}$`)
)
