package lab

import "time"

// Tier is a customer's service tier. Results are routed at ingress to the
// stream of the customer's tier so higher tiers never queue behind lower ones.
type Tier string

// The tiers IMP knows. General is the default for unknown customers.
const (
	TierGeneral Tier = "general"
	TierB2B     Tier = "b2b"
	TierCorp    Tier = "corp"
	TierSVIP1   Tier = "svip1"
	TierSVIP2   Tier = "svip2"
)

// Tiers lists every tier in routing order.
var Tiers = []Tier{TierGeneral, TierB2B, TierCorp, TierSVIP1, TierSVIP2}

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool {
	for _, k := range Tiers {
		if t == k {
			return true
		}
	}
	return false
}

// ParseTier returns the tier named s, or TierGeneral and false.
func ParseTier(s string) (Tier, bool) {
	t := Tier(s)
	if t.Valid() {
		return t, true
	}
	return TierGeneral, false
}

// Delivery says how a customer wants results and reports delivered.
type Delivery struct {
	Email      bool   `json:"email,omitempty"`
	SMS        bool   `json:"sms,omitempty"`
	AttachPDF  bool   `json:"attach_pdf,omitempty"` // attach the PDF to the email instead of linking it
	WebhookURL string `json:"webhook_url,omitempty"`
}

// Customer is a patient or client of the lab, as the customer master holds it.
// Version orders updates from the source system: a record with a lower
// version than the stored one is stale and never applied.
type Customer struct {
	ID         string    `json:"id"`
	Version    int64     `json:"version"`
	Tier       Tier      `json:"tier"`
	GivenName  string    `json:"given_name"`
	FamilyName string    `json:"family_name"`
	BirthDate  string    `json:"birth_date,omitempty"`
	Sex        string    `json:"sex,omitempty"`
	Email      string    `json:"email,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	PartnerID  string    `json:"partner_id,omitempty"`
	Delivery   Delivery  `json:"delivery,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// Sexes are the administrative sex codes of HL7 table 0001 that IMP accepts.
var Sexes = []string{"F", "M", "O", "U", "A", "N"}

// Validate checks every field and names each one that is wrong.
func (c *Customer) Validate() error {
	var p Problems
	p.ID("id", c.ID)
	if c.Version < 0 {
		p.Add("version", "must not be negative")
	}
	if c.Tier == "" {
		c.Tier = TierGeneral
	} else if !c.Tier.Valid() {
		p.Add("tier", "must be one of general, b2b, corp, svip1, svip2")
	}
	if p.Required("family_name", c.FamilyName) {
		p.MaxLen("family_name", c.FamilyName, 100)
	}
	p.MaxLen("given_name", c.GivenName, 100)
	p.Date("birth_date", c.BirthDate)
	if c.Sex != "" {
		p.OneOf("sex", c.Sex, Sexes...)
	}
	if c.Email != "" && !emailPattern.MatchString(c.Email) {
		p.Add("email", "must be an email address")
	}
	if c.Phone != "" && !phonePattern.MatchString(c.Phone) {
		p.Add("phone", "must be a phone number")
	}
	p.OptionalID("partner_id", c.PartnerID)
	if c.Delivery.Email && c.Email == "" {
		p.Add("delivery.email", "needs email to be set")
	}
	if c.Delivery.SMS && c.Phone == "" {
		p.Add("delivery.sms", "needs phone to be set")
	}
	if u := c.Delivery.WebhookURL; u != "" && !validHTTPURL(u) {
		p.Add("delivery.webhook_url", "must be an absolute http or https URL")
	}
	return p.Err()
}
