package api

import (
	"encoding/json"
	"net/http"

	"github.com/imp-health/imp/internal/ingest"
	"github.com/imp-health/imp/internal/jobs"
)

var exampleJob = jobs.Job{Kind: jobs.KindCreateOrder, Args: json.RawMessage(`{"format":"flat-json","partner_id":"ACME",` +
	`"payload":{"partner_order_id":"PO-77","patient":{"id":"CUST-1001","first_name":"Ada","last_name":"Lovelace"},"doctor":{"id":"D1","name":"Dr Who"},"tests":"GLU,NA","priority":"routine"}}`)}

// postJob enqueues a background job on its stream (worker or worker-order).
func (s *Server) postJob(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, s.opt.MaxBody, ctJSON)
	defer body.release()
	if err != nil {
		s.writeBodyError(w, r, "worker", err)
		return
	}
	s.idempotent(w, r, body.b, func(ids idGen) response {
		var j jobs.Job
		if err := decodeStrict(body.b, &j); err != nil {
			return problemResponse(r, bodyProblem(err))
		}
		if err := j.Validate(); err != nil {
			return problemResponse(r, bodyProblem(err))
		}
		j.RunAt = j.RunAt.UTC()
		value, err := json.Marshal(j)
		if err != nil {
			return problemResponse(r, bodyProblem(err))
		}
		streamName := jobs.Stream(j.Kind)
		id := ids.id(0)
		key := id
		var a jobs.PDFReportArgs // reports of one order stay in order
		if j.Kind == jobs.KindPDFReport && json.Unmarshal(j.Args, &a) == nil {
			key = a.AccessionNumber
		}
		acc, err := s.publish(r.Context(), ingest.Envelope{Stream: streamName, Key: key, Kind: "job", Value: value, MessageID: id})
		if err != nil {
			return s.publishFailure(r, err)
		}
		return response{status: http.StatusAccepted, body: appendAccepted(make([]byte, 0, 160), acc), store: true}
	})
}
