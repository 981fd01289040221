package lab

import (
	"slices"
	"unicode/utf8"
)

// Masking hides PHI from read-only viewers (the dashboard's viewer role)
// while leaving identifiers as they are, since operators search by them.
// The functions are pure: they return a masked copy and never change their
// argument, including slices it shares.

// masked replaces a non-empty value. Empty stays empty so a viewer can
// still tell a missing value from a hidden one.
const masked = "***"

func maskAll(s string) string {
	if s == "" {
		return ""
	}
	return masked
}

// maskKeepLast2 keeps the last two characters, enough to tell two contacts
// apart on the phone with a patient. Values of four characters or fewer are
// hidden whole, as two of them would be half the value.
func maskKeepLast2(s string) string {
	if utf8.RuneCountInString(s) <= 4 {
		return maskAll(s)
	}
	r := []rune(s)
	return masked + string(r[len(r)-2:])
}

// maskBirthDate keeps the year ("1980-04-02" → "1980"), which the HIPAA
// Safe Harbor method allows and viewers need to judge age-dependent ranges.
func maskBirthDate(s string) string {
	if len(s) < 4 {
		return maskAll(s)
	}
	for i := range 4 {
		if s[i] < '0' || s[i] > '9' {
			return masked
		}
	}
	return s[:4]
}

// MaskCustomer hides the customer's names, birth date (keeping the year),
// email and phone (keeping the last two characters).
func MaskCustomer(c Customer) Customer {
	c.GivenName = maskAll(c.GivenName)
	c.FamilyName = maskAll(c.FamilyName)
	c.BirthDate = maskBirthDate(c.BirthDate)
	c.Email = maskKeepLast2(c.Email)
	c.Phone = maskKeepLast2(c.Phone)
	return c
}

// MaskOrder hides the ordering clinician's name and the notes, which are
// free text and may name the patient.
func MaskOrder(o Order) Order {
	o.OrderingClinician.Name = maskAll(o.OrderingClinician.Name)
	o.Notes = maskAll(o.Notes)
	o.Tests = slices.Clone(o.Tests)
	o.Specimens = slices.Clone(o.Specimens)
	return o
}

// MaskResult hides the value and the comments. The abnormal flag stays:
// operators must see that a critical result is stuck without seeing it.
func MaskResult(r Result) Result {
	r.Value = maskAll(r.Value)
	if r.Comments != nil {
		c := make([]string, len(r.Comments))
		for i, s := range r.Comments {
			c[i] = maskAll(s)
		}
		r.Comments = c
	}
	return r
}
