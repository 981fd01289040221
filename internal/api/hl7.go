package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/imp-health/imp/internal/hl7"
	"github.com/imp-health/imp/internal/hl7map"
	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/lis"
)

// HL7 media types accepted by POST /v1/hl7 (HL7's own registration, the
// older x- form, and plain text as senders often use).
const ctHL7 = "application/hl7-v2"

var hl7Types = []string{ctHL7, "x-application/hl7-v2+er7", "text/plain"}

// HL7Inbound takes HL7 messages into the streams (lis.Inbound).
type HL7Inbound interface {
	Handle(ctx context.Context, raw []byte, client string) lis.Outcome
}

// HL7Accepted is the 202 answer to an HL7 message.
type HL7Accepted struct {
	Kind     string            `json:"kind"` // results, status, order, patient
	ACK      string            `json:"ack"`  // the AA acknowledgement, ER7
	Accepted []ingest.Accepted `json:"accepted"`
}

const exampleORU = "MSH|^~\\&|LIS|LAB|IMP|LAB|20261127073000||ORU^R01^ORU_R01|MSG00001|P|2.5.1\r" +
	"PID|1||CUST-1001^^^IMP^MR||Lovelace^Ada||19701210|F\r" +
	"OBR|1|ACC-1001^IMP|LIS-88^LIS|GLU^Glucose^L|||20261127070000|||||||||||||||20261127073000|||F\r" +
	"OBX|1|NM|GLU^Glucose^L||5.4|mmol/L|3.9-5.6|N|||F|||20261127071500||E-7^Franklin^Rosalind\r"

// postHL7 takes one HL7 v2 message over HTTP.
func (s *Server) postHL7(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, s.opt.MaxBody, hl7Types...)
	defer body.release()
	if err != nil {
		s.writeBodyError(w, r, "", err)
		return
	}
	if s.opt.HL7 == nil {
		writeProblem(w, r, problem(http.StatusServiceUnavailable, probUnavailable, "HL7 not available", "this process does not take HL7"))
		return
	}
	out := s.opt.HL7.Handle(r.Context(), body.b, principal(r.Context()).KeyID)
	switch {
	case out.Code == hl7.AA:
		writeJSON(w, http.StatusAccepted, HL7Accepted{Kind: out.Kind.String(), ACK: string(out.ACK), Accepted: out.Accepted})
	case errors.Is(out.Err, lis.ErrNotDurable) || out.ACK == nil:
		w.Header().Set("Retry-After", "1")
		writeProblem(w, r, problem(http.StatusServiceUnavailable, probUnavailable, "Broker unavailable",
			"the message was not taken (the broker did not acknowledge it); resend it"))
	default:
		status := http.StatusUnprocessableEntity
		if out.Code == hl7.AR {
			status = http.StatusBadRequest
		}
		p := problem(status, probValidation, "HL7 message refused ("+string(out.Code)+")", out.Err.Error())
		var me *hl7map.Error
		if errors.As(out.Err, &me) {
			p.Errors = []lab.FieldError{{Field: hl7map.Path(me.Location), Reason: me.Reason}}
		}
		var ve *lab.ValidationError
		if errors.As(out.Err, &ve) {
			p.Errors = append(p.Errors, ve.Fields...)
		}
		p.ACK = string(out.ACK)
		writeProblem(w, r, p)
	}
}
