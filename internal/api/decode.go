package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/imp-health/imp/internal/lab"
)

// bodyError is a client mistake in the request body, already shaped as the
// problem to answer with.
type bodyError struct{ p Problem }

func (e *bodyError) Error() string { return e.p.Detail }

// reqBody is a request body read into memory, in a pooled buffer when it
// is small: the single-record path then allocates nothing for the body.
type reqBody struct {
	b      []byte
	mt     string // media type, without parameters
	pooled *[]byte
}

// release returns the buffer to the pool; b must not be used after.
func (rb *reqBody) release() {
	if rb.pooled != nil {
		*rb.pooled = rb.b[:0]
		bodyPool.Put(rb.pooled)
		rb.pooled, rb.b = nil, nil
	}
}

const pooledBody = 64 << 10

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// mediaType returns the request's media type if it is one of types.
func mediaType(r *http.Request, types ...string) (string, error) {
	ct := r.Header.Get("Content-Type")
	mt := ct
	if i := strings.IndexByte(ct, ';'); i >= 0 || strings.ContainsAny(ct, " \tABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			mt = ""
		}
	}
	for _, t := range types {
		if mt == t {
			return t, nil
		}
	}
	return "", &bodyError{problem(http.StatusUnsupportedMediaType, probMediaType, "Unsupported media type",
		fmt.Sprintf("Content-Type must be %s", strings.Join(types, " or ")))}
}

// readBody enforces the content type and size limit and reads the body.
// The caller must release it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, types ...string) (reqBody, error) {
	mt, err := mediaType(r, types...)
	if err != nil {
		return reqBody{}, err
	}
	tooLarge := &bodyError{problem(http.StatusRequestEntityTooLarge, probTooLarge, "Body too large",
		fmt.Sprintf("the body exceeds %d bytes", limit))}
	if r.ContentLength > limit {
		return reqBody{}, tooLarge
	}
	rb := reqBody{mt: mt}
	var buf []byte
	if r.ContentLength >= 0 && r.ContentLength <= pooledBody {
		rb.pooled = bodyPool.Get().(*[]byte)
		buf = (*rb.pooled)[:0]
		if int64(cap(buf)) < r.ContentLength+1 {
			buf = make([]byte, 0, r.ContentLength+1)
		}
	} else if r.ContentLength > 0 {
		buf = make([]byte, 0, r.ContentLength+1)
	}
	buf, err = readAll(http.MaxBytesReader(w, r.Body, limit), buf)
	rb.b = buf
	if err != nil {
		rb.release()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return reqBody{}, tooLarge
		}
		return reqBody{}, &bodyError{problem(http.StatusBadRequest, probBadBody, "Unreadable body", "the body could not be read")}
	}
	if rb.pooled != nil && cap(buf) > pooledBody {
		rb.pooled = nil // grown past what the pool keeps
	}
	return rb, nil
}

// readAll is io.ReadAll into b.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				return b, nil
			}
			return b, err
		}
	}
}

// decodeStrict decodes one JSON document into v: unknown fields, type
// mismatches and trailing data are errors naming the field.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(b, v, err)
	}
	if len(bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n")) > 0 {
		return &bodyError{problem(http.StatusBadRequest, probBadBody, "Malformed JSON", "unexpected data after the JSON document")}
	}
	return nil
}

// decodeRecord decodes one lab record strictly; results try the fast path
// first (resultcodec.go).
func decodeRecord(b []byte, v any) error {
	if r, ok := v.(*lab.Result); ok {
		if decodeResultFast(b, r) {
			return nil
		}
		*r = lab.Result{}
	}
	return decodeStrict(b, v)
}

// encodeRecord renders a validated record for its stream; size is a
// capacity hint (the request body's size and some room for defaults).
func encodeRecord(v any, size int) ([]byte, error) {
	if r, ok := v.(*lab.Result); ok {
		if b, ok := appendResult(make([]byte, 0, size), r); ok {
			return b, nil
		}
	}
	return json.Marshal(v)
}

// jsonProblem names the field a JSON decoding error is about. Syntax
// errors are 400 (the document cannot be read); a readable document with
// the wrong shape is 422 with a field path found by walking it against
// the target type.
func jsonProblem(b []byte, v any, err error) error {
	p := problem(http.StatusBadRequest, probBadBody, "Malformed JSON", "")
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		p.Detail = fmt.Sprintf("invalid JSON at byte %d", se.Offset)
		return &bodyError{p}
	case errors.Is(err, io.EOF):
		p.Detail = "the body is empty"
		return &bodyError{p}
	case errors.Is(err, io.ErrUnexpectedEOF):
		p.Detail = "the JSON document ends early"
		return &bodyError{p}
	}
	if fields := explain(b, v); len(fields) > 0 {
		p.Status, p.Type, p.Title = http.StatusUnprocessableEntity, probValidation, "Invalid field"
		if len(fields) == 1 && fields[0].Reason == reasonUnknown {
			p.Title = "Unknown field"
		}
		p.Errors = fields
		p.Detail = fields[0].Error()
		return &bodyError{p}
	}
	// A decoder error the walk did not pin down: still the client's.
	p.Status, p.Type, p.Title = http.StatusUnprocessableEntity, probValidation, "Invalid document"
	p.Detail = "the JSON document does not match the expected shape"
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		p.Errors = []lab.FieldError{{Field: te.Field, Reason: "has the wrong type"}}
	}
	return &bodyError{p}
}

// validationProblem turns a lab validation error into a 422 problem.
func validationProblem(err error) Problem {
	p := problem(http.StatusUnprocessableEntity, probValidation, "Validation failed", err.Error())
	var ve *lab.ValidationError
	if errors.As(err, &ve) {
		p.Errors = ve.Fields
	}
	return p
}

// bodyProblem is the problem for an accept error.
func bodyProblem(err error) Problem {
	var be *bodyError
	if errors.As(err, &be) {
		return be.p
	}
	return validationProblem(err)
}
