package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/imp-health/imp/internal/ingest"
)

// Batch limits.
const (
	MaxBatchRecords = 10_000
	MaxBatchBody    = 16 << 20
)

// BatchResult is the outcome of one record of a batch: where the broker
// put it, or why it was refused.
type BatchResult struct {
	Index     int      `json:"index"`
	MessageID string   `json:"message_id,omitempty"`
	Stream    string   `json:"stream,omitempty"`
	Partition *int32   `json:"partition,omitempty"`
	Offset    *int64   `json:"offset,omitempty"`
	Error     *Problem `json:"error,omitempty"`
}

// BatchResponse answers a batch: 202 when every record was accepted, 207
// when some were refused (each result says which and why).
type BatchResponse struct {
	Accepted int           `json:"accepted"`
	Failed   int           `json:"failed"`
	Results  []BatchResult `json:"results"`
}

// postBatch serves POST /v1/<collection>/batch: a JSON array or NDJSON,
// each record validated and acknowledged on its own.
func (s *Server) postBatch(c *collection) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, MaxBatchBody, ctJSON, ctNDJSON)
		defer body.release()
		if err != nil {
			s.writeBodyError(w, r, c.stream, err)
			return
		}
		var items [][]byte
		if body.mt == ctNDJSON {
			items = splitLines(body.b)
		} else {
			items, err = splitArray(body.b)
		}
		switch {
		case err != nil:
			writeProblem(w, r, bodyProblem(err))
			return
		case len(items) == 0:
			writeProblem(w, r, problem(http.StatusBadRequest, probBatch, "Empty batch", "the batch holds no records"))
			return
		case len(items) > MaxBatchRecords:
			writeProblem(w, r, problem(http.StatusRequestEntityTooLarge, probTooLarge, "Batch too large",
				fmt.Sprintf("a batch holds at most %d records; this one holds %d", MaxBatchRecords, len(items))))
			return
		}
		s.idempotent(w, r, body.b, func(ids idGen) response { return s.runBatch(r, c, items, ids) })
	}
}

func (s *Server) runBatch(r *http.Request, c *collection, items [][]byte, ids idGen) response {
	ctx := r.Context()
	now := time.Now().UTC()
	res := BatchResponse{Results: make([]BatchResult, len(items))}
	envs := make([]ingest.Envelope, 0, len(items))
	at := make([]int, 0, len(items)) // envs[j] is items[at[j]]
	for i, raw := range items {
		res.Results[i].Index = i
		env, err := c.accept(ctx, s, raw, now)
		if err != nil {
			p := bodyProblem(err)
			res.Results[i].Error = &p
			res.Failed++
			if s.opt.Publisher != nil {
				s.opt.Publisher.Invalid(c.stream)
			}
			continue
		}
		env.MessageID = ids.id(i)
		envs = append(envs, envelope(ctx, env))
		at = append(at, i)
	}
	publishFailed := 0
	if len(envs) > 0 {
		accs, errs := s.publishMany(ctx, envs)
		for j, i := range at {
			if errs[j] != nil {
				p := problem(http.StatusServiceUnavailable, probUnavailable, "Broker unavailable",
					"the record was not accepted (the broker did not acknowledge it); retry")
				res.Results[i].Error = &p
				res.Failed++
				publishFailed++
				continue
			}
			a := accs[j]
			res.Results[i].MessageID, res.Results[i].Stream = a.MessageID, a.Stream
			res.Results[i].Partition, res.Results[i].Offset = &a.Partition, &a.Offset
			res.Accepted++
		}
		if publishFailed > 0 {
			s.log.WarnContext(ctx, "batch publish failed in part", "failed", publishFailed, "records", len(items), "err", firstErr(errs))
		}
	}
	status := http.StatusAccepted
	switch {
	case res.Failed == 0:
	case res.Accepted == 0 && publishFailed == res.Failed:
		return problemResponse(r, problem(http.StatusServiceUnavailable, probUnavailable, "Broker unavailable",
			"no record was accepted (the broker did not acknowledge them); retry")).withRetry()
	default:
		status = http.StatusMultiStatus
	}
	// A response with broker failures is not stored: a retry with the same
	// key re-produces every record under the same ids, and the consumers
	// apply each once.
	return response{status: status, body: appendBatch(make([]byte, 0, 64+len(items)*128), &res),
		store: res.Accepted > 0 && publishFailed == 0}
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// splitLines splits NDJSON into records; blank lines are skipped, so a
// record's index counts records, not lines.
func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		out = append(out, line)
	}
	return out
}

// splitArray splits a top-level JSON array into its elements without
// decoding them: each is decoded (and its syntax judged) on its own, so a
// malformed record fails alone. Only the array's own punctuation must be
// right.
func splitArray(b []byte) ([][]byte, error) {
	bad := func(off int, what string) error {
		return &bodyError{problem(http.StatusBadRequest, probBatch, "Malformed batch",
			fmt.Sprintf("the body must be a JSON array of records (%s at byte %d)", what, off))}
	}
	i := skipSpace(b, 0)
	if i == len(b) {
		return nil, &bodyError{problem(http.StatusBadRequest, probBadBody, "Malformed JSON", "the body is empty")}
	}
	if b[i] != '[' {
		return nil, bad(i, "no '['")
	}
	i = skipSpace(b, i+1)
	var out [][]byte
	if i < len(b) && b[i] == ']' {
		if j := skipSpace(b, i+1); j != len(b) {
			return nil, bad(j, "data after the array")
		}
		return out, nil
	}
	for {
		start := i
		end, ok := scanValue(b, i)
		if !ok {
			return nil, bad(i, "an unterminated record")
		}
		out = append(out, b[start:end])
		i = skipSpace(b, end)
		if i == len(b) {
			return nil, bad(i, "no closing ']'")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
			if i == len(b) || b[i] == ']' {
				return nil, bad(i, "a missing record after ','")
			}
		case ']':
			if j := skipSpace(b, i+1); j != len(b) {
				return nil, bad(j, "data after the array")
			}
			return out, nil
		default:
			return nil, bad(i, "a missing ','")
		}
		if len(out) > MaxBatchRecords {
			return out, nil // the caller refuses the size; no need to scan on
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanValue finds the end of the JSON value starting at i: balanced
// brackets outside strings for objects and arrays, the closing quote for
// strings, the next delimiter for scalars.
func scanValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		j, ok := scanString(b, i)
		return j, ok
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				j, ok := scanString(b, i)
				if !ok {
					return j, false
				}
				i = j
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return i, false
	case ',', ']', '}', ':':
		return i, false
	default:
		j := i
		for j < len(b) && !bytes.ContainsRune([]byte(",]} \t\r\n"), rune(b[j])) {
			j++
		}
		return j, j > i
	}
}

// scanString returns the index after the string starting at b[i] == '"'.
func scanString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return len(b), false
}

// appendAccepted renders a 202 body by hand: it is the hot path's only
// output.
func appendAccepted(b []byte, a ingest.Accepted) []byte {
	b = append(b, '{')
	b = appendAcceptedFields(b, a)
	return append(b, "}\n"...)
}

func appendAcceptedFields(b []byte, a ingest.Accepted) []byte {
	// Message ids and stream names are ASCII letters, digits and '-'
	// (msgid, derivedID, stream names): nothing to escape.
	b = append(b, `"message_id":"`...)
	b = append(b, a.MessageID...)
	b = append(b, `","stream":"`...)
	b = append(b, a.Stream...)
	b = append(b, `","partition":`...)
	b = strconv.AppendInt(b, int64(a.Partition), 10)
	b = append(b, `,"offset":`...)
	return strconv.AppendInt(b, a.Offset, 10)
}

func appendJSON(b []byte, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

func appendBatch(b []byte, res *BatchResponse) []byte {
	b = append(b, `{"accepted":`...)
	b = strconv.AppendInt(b, int64(res.Accepted), 10)
	b = append(b, `,"failed":`...)
	b = strconv.AppendInt(b, int64(res.Failed), 10)
	b = append(b, `,"results":[`...)
	for i, it := range res.Results {
		if i > 0 {
			b = append(b, ',')
		}
		if it.Error != nil {
			b = append(b, `{"index":`...)
			b = strconv.AppendInt(b, int64(it.Index), 10)
			b = append(b, `,"error":`...)
			b = appendJSON(b, it.Error)
			b = append(b, '}')
			continue
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, int64(it.Index), 10)
		b = append(b, ',')
		b = appendAcceptedFields(b, ingest.Accepted{MessageID: it.MessageID, Stream: it.Stream, Partition: *it.Partition, Offset: *it.Offset})
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

func (s *Server) publishMany(ctx context.Context, envs []ingest.Envelope) ([]ingest.Accepted, []error) {
	if s.opt.Publisher == nil {
		errs := make([]error, len(envs))
		for i := range errs {
			errs[i] = errors.New("no publisher configured")
		}
		return make([]ingest.Accepted, len(envs)), errs
	}
	return s.opt.Publisher.PublishMany(ctx, envs)
}
