package dispatch

import (
	"encoding/json"
	"fmt"

	"github.com/imp-health/imp/internal/delivery"
	"github.com/imp-health/imp/internal/lab"
)

// JSON bodies are versioned envelopes so receivers can evolve with IMP.
type resultBody struct {
	Kind      string       `json:"kind"` // "result"
	Version   int          `json:"schema_version"`
	MessageID string       `json:"message_id"`
	Order     orderRef     `json:"order"`
	Customer  customerRef  `json:"customer"`
	Results   []lab.Result `json:"results"`
}

type statusBody struct {
	Kind      string          `json:"kind"` // "status"
	Version   int             `json:"schema_version"`
	MessageID string          `json:"message_id"`
	Order     orderRef        `json:"order"`
	Status    lab.StatusEvent `json:"status"`
}

type reportBody struct {
	Kind      string      `json:"kind"` // "report"
	Version   int         `json:"schema_version"`
	MessageID string      `json:"message_id"`
	Order     orderRef    `json:"order"`
	Customer  customerRef `json:"customer"`
	ReportID  string      `json:"report_id"`
	URL       string      `json:"url,omitempty"`
}

type orderRef struct {
	AccessionNumber string `json:"accession_number"`
	PartnerID       string `json:"partner_id,omitempty"`
	CustomerID      string `json:"customer_id,omitempty"`
}

type customerRef struct {
	ID   string   `json:"id"`
	Tier lab.Tier `json:"tier,omitempty"`
}

func refs(ev Event) (orderRef, customerRef) {
	o := orderRef{AccessionNumber: ev.Order.AccessionNumber, PartnerID: ev.Order.PartnerID, CustomerID: ev.Order.CustomerID}
	return o, customerRef{ID: ev.Customer.ID, Tier: ev.Customer.Tier}
}

// render builds the message for a format.
func (d *Dispatcher) render(format, connector string, ev Event) (delivery.Message, error) {
	m := delivery.Message{ID: ev.MessageID, Kind: ev.Kind}
	var err error
	switch format {
	case "", "json":
		m.ContentType = "application/json"
		m.Body, err = jsonBody(ev)
	case "hl7":
		if d.format.HL7 == nil || ev.Kind != "result" {
			return m, fmt.Errorf("format hl7 is not available for %s events", ev.Kind)
		}
		m.ContentType = "application/hl7-v2"
		m.Body, err = d.format.HL7(ev)
	case "fhir":
		if d.format.FHIR == nil || ev.Kind != "result" {
			return m, fmt.Errorf("format fhir is not available for %s events", ev.Kind)
		}
		m.ContentType = "application/fhir+json"
		m.Body, err = d.format.FHIR(ev)
	default:
		return m, fmt.Errorf("unknown format %q", format)
	}
	if err != nil {
		return m, err
	}
	if ev.Report != nil {
		// The PDF itself goes where files go (email attachment, a file
		// drop); HTTP and MLLP receivers get the JSON with the link.
		switch connector {
		case "email":
			m.Subject = "Laboratory report " + ev.Report.ID
			m.Attachments = []delivery.Attachment{{Filename: ev.Report.Filename, ContentType: "application/pdf", Data: ev.Report.PDF}}
			m.ContentType, m.Body = "text/plain", []byte("The laboratory report "+ev.Report.ID+" for order "+ev.Order.AccessionNumber+" is attached.\n")
		case "file":
			m.ContentType, m.Body = "application/pdf", ev.Report.PDF
		}
	}
	return m, nil
}

func jsonBody(ev Event) ([]byte, error) {
	o, c := refs(ev)
	switch ev.Kind {
	case "result":
		return json.Marshal(resultBody{Kind: "result", Version: 1, MessageID: ev.MessageID, Order: o, Customer: c, Results: ev.Results})
	case "status":
		if ev.Status == nil {
			return nil, fmt.Errorf("status event without a status")
		}
		return json.Marshal(statusBody{Kind: "status", Version: 1, MessageID: ev.MessageID, Order: o, Status: *ev.Status})
	case "report":
		if ev.Report == nil {
			return nil, fmt.Errorf("report event without a report")
		}
		return json.Marshal(reportBody{Kind: "report", Version: 1, MessageID: ev.MessageID, Order: o, Customer: c, ReportID: ev.Report.ID, URL: ev.Report.URL})
	}
	return nil, fmt.Errorf("unknown event kind %q", ev.Kind)
}
