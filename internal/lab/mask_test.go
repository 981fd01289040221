package lab

import (
	"slices"
	"testing"
)

func TestMaskCustomer(t *testing.T) {
	t.Parallel()
	c := Customer{
		ID: "cust-1001", Version: 4, Tier: TierSVIP1,
		GivenName: "Maria", FamilyName: "García Ñúñez",
		BirthDate: "1980-04-02", Sex: "F",
		Email: "maria@example.com", Phone: "+34 600 123 456",
		PartnerID: "clinic-north",
		Delivery:  Delivery{Email: true, WebhookURL: "https://partner.example/hook"},
		UpdatedAt: t0,
	}
	orig := c
	m := MaskCustomer(c)
	want := orig
	want.GivenName, want.FamilyName = "***", "***"
	want.BirthDate = "1980"
	want.Email, want.Phone = "***om", "***56"
	if m != want {
		t.Errorf("MaskCustomer =\n %+v\nwant\n %+v", m, want)
	}
	if c != orig {
		t.Error("MaskCustomer changed its argument")
	}
}

func TestMaskFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   Customer
		want Customer
	}{
		{"empty stays empty", Customer{ID: "c1"}, Customer{ID: "c1"}},
		{"short contact hidden whole", Customer{Email: "a@b", Phone: "1234"}, Customer{Email: "***", Phone: "***"}},
		{"five characters keep two", Customer{Phone: "12345"}, Customer{Phone: "***45"}},
		{"multibyte tail kept whole", Customer{Email: "josé@correo.é"}, Customer{Email: "***.é"}},
		{"malformed birth date hidden", Customer{BirthDate: "02/04/1980"}, Customer{BirthDate: "***"}},
		{"year-only birth date kept", Customer{BirthDate: "1980"}, Customer{BirthDate: "1980"}},
		{"short birth date hidden", Customer{BirthDate: "80"}, Customer{BirthDate: "***"}},
		{"single-letter name hidden", Customer{GivenName: "J"}, Customer{GivenName: "***"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := MaskCustomer(tc.in); got != tc.want {
				t.Errorf("MaskCustomer(%+v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskOrder(t *testing.T) {
	t.Parallel()
	o := validOrder()
	m := MaskOrder(o)
	if m.OrderingClinician.Name != "***" || m.Notes != "***" {
		t.Errorf("clinician name, notes = %q, %q; want masked", m.OrderingClinician.Name, m.Notes)
	}
	if m.AccessionNumber != o.AccessionNumber || m.CustomerID != o.CustomerID ||
		m.OrderingClinician.ID != o.OrderingClinician.ID || m.PartnerID != o.PartnerID {
		t.Error("identifiers must stay searchable")
	}
	if !slices.Equal(m.Tests, o.Tests) || !slices.Equal(m.Specimens, o.Specimens) {
		t.Error("tests and specimens must be kept")
	}
	m.Tests[0].Code = "CHANGED"
	m.Specimens[0].ID = "CHANGED"
	if o.Tests[0].Code != "K" || o.Specimens[0].ID != "SP-1" {
		t.Error("MaskOrder's copy shares slices with its argument")
	}
	if o.Notes != "fasting" || o.OrderingClinician.Name != "Dr Grace Hopper" {
		t.Error("MaskOrder changed its argument")
	}
	if e := MaskOrder(Order{}); e.Notes != "" || e.OrderingClinician.Name != "" || e.Tests != nil {
		t.Errorf("MaskOrder of an empty order = %+v, want it empty", e)
	}
}

func TestMaskResult(t *testing.T) {
	t.Parallel()
	r := validResult()
	r.AbnormalFlag = FlagCriticalHigh
	m := MaskResult(r)
	if m.Value != "***" || !slices.Equal(m.Comments, []string{"***"}) {
		t.Errorf("value, comments = %q, %q; want masked", m.Value, m.Comments)
	}
	if m.AccessionNumber != r.AccessionNumber || m.TestCode != r.TestCode || m.CustomerID != r.CustomerID ||
		m.VerifiedBy != r.VerifiedBy || m.AbnormalFlag != FlagCriticalHigh || m.Status != r.Status {
		t.Error("identifiers, status and flag must stay visible")
	}
	if r.Value != "4.2" || r.Comments[0] != "Sample slightly haemolysed." {
		t.Error("MaskResult changed its argument")
	}
	if e := MaskResult(Result{}); e.Value != "" || e.Comments != nil {
		t.Errorf("MaskResult of an empty result = %+v, want it empty", e)
	}
}
