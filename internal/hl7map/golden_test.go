package hl7map_test

import (
	"reflect"
	"testing"

	"github.com/imp-health/imp/internal/hl7map"
)

// The golden tests: one input and its expected output per file under
// testdata/<mapping>/, with -update to rewrite the outputs after a
// deliberate change (review the diff before committing).

func TestGoldenEncodeORM(t *testing.T) {
	t.Parallel()
	golden(t, "encode_orm", func(t *testing.T, in []byte) string {
		c := readCase(t, in)
		data, id, err := hl7map.EncodeORM(c.Order, c.Customer, c.tests(), c.options())
		if err != nil {
			t.Fatal(err)
		}
		return er7Text(data, id)
	})
}

func TestGoldenEncodeOML(t *testing.T) {
	t.Parallel()
	golden(t, "encode_oml", func(t *testing.T, in []byte) string {
		c := readCase(t, in)
		data, id, err := hl7map.EncodeOML(c.Order, c.Customer, c.tests(), c.options())
		if err != nil {
			t.Fatal(err)
		}
		return er7Text(data, id)
	})
}

func TestGoldenEncodeADT(t *testing.T) {
	t.Parallel()
	golden(t, "encode_adt", func(t *testing.T, in []byte) string {
		c := readCase(t, in)
		data, id, err := hl7map.EncodeADT(c.Customer, c.Trigger, c.options())
		if err != nil {
			t.Fatal(err)
		}
		return er7Text(data, id)
	})
}

func TestGoldenEncodeORU(t *testing.T) {
	t.Parallel()
	golden(t, "encode_oru", func(t *testing.T, in []byte) string {
		c := readCase(t, in)
		data, id, err := hl7map.EncodeORU(c.Order, c.Customer, c.Results, c.tests(), c.options())
		if err != nil {
			t.Fatal(err)
		}
		return er7Text(data, id)
	})
}

func TestGoldenFHIRServiceRequest(t *testing.T) {
	t.Parallel()
	golden(t, "fhir_request", func(t *testing.T, in []byte) string {
		c := readCase(t, in)
		b, err := hl7map.FHIRServiceRequest(c.Order, c.Customer, c.tests(), c.options())
		return jsonText(t, b, err)
	})
}

func TestGoldenFHIRResultBundle(t *testing.T) {
	t.Parallel()
	golden(t, "fhir_results", func(t *testing.T, in []byte) string {
		c := readCase(t, in)
		b, err := hl7map.FHIRResultBundle(c.Order, c.Customer, c.Results, c.tests(), c.options())
		return jsonText(t, b, err)
	})
}

func TestGoldenDecodeResults(t *testing.T) {
	t.Parallel()
	golden(t, "decode_results", func(t *testing.T, in []byte) string {
		m, opt := parseInput(t, in)
		rs, err := hl7map.DecodeResults(m, opt)
		for i := range rs {
			if verr := rs[i].Validate(); verr != nil {
				t.Errorf("result %d does not validate: %v", i, verr)
			}
		}
		return "kind: " + hl7map.Classify(m).String() + "\n" + jsonText(t, rs, err)
	})
}

func TestGoldenDecodeStatus(t *testing.T) {
	t.Parallel()
	golden(t, "decode_status", func(t *testing.T, in []byte) string {
		m, opt := parseInput(t, in)
		evs, err := hl7map.DecodeStatus(m, opt)
		for i := range evs {
			if verr := evs[i].Validate(); verr != nil {
				t.Errorf("event %d does not validate: %v", i, verr)
			}
		}
		return "kind: " + hl7map.Classify(m).String() + "\n" + jsonText(t, evs, err)
	})
}

func TestGoldenDecodeOrder(t *testing.T) {
	t.Parallel()
	golden(t, "decode_order", func(t *testing.T, in []byte) string {
		m, opt := parseInput(t, in)
		out := "kind: " + hl7map.Classify(m).String() + "\n"
		orders, c, err := hl7map.DecodeOrders(m, opt)
		if err != nil {
			return out + errorText(err)
		}
		out += jsonText(t, map[string]any{"orders": orders, "customer": c}, nil)
		// DecodeOrder gives the same order, or refuses a message with more.
		o, _, err := hl7map.DecodeOrder(m, opt)
		switch {
		case len(orders) > 1:
			out += "DecodeOrder " + errorText(err)
		case err != nil || !reflect.DeepEqual(o, orders[0]):
			t.Errorf("DecodeOrder = %+v, %v; want DecodeOrders' only order", o, err)
		}
		return out
	})
}

func TestGoldenDecodeCustomer(t *testing.T) {
	t.Parallel()
	golden(t, "decode_customer", func(t *testing.T, in []byte) string {
		m, opt := parseInput(t, in)
		c, err := hl7map.DecodeCustomer(m, opt)
		return "kind: " + hl7map.Classify(m).String() + "\n" + jsonText(t, c, err)
	})
}
