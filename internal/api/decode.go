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

	"github.com/imp-health/imp/internal/lab"
)

// bodyError is a client mistake in the request body, already shaped as the
// problem to answer with.
type bodyError struct{ p Problem }

func (e *bodyError) Error() string { return e.p.Detail }

// readBody enforces the content type and size limit and returns the body.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, types ...string) ([]byte, string, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	ok := err == nil
	if ok {
		ok = false
		for _, t := range types {
			if mt == t {
				ok = true
			}
		}
	}
	if !ok {
		return nil, "", &bodyError{problem(http.StatusUnsupportedMediaType, probMediaType, "Unsupported media type",
			fmt.Sprintf("Content-Type must be %s", strings.Join(types, " or ")))}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", &bodyError{problem(http.StatusRequestEntityTooLarge, probTooLarge, "Body too large",
				fmt.Sprintf("the body exceeds %d bytes", limit))}
		}
		return nil, "", &bodyError{problem(http.StatusBadRequest, probBadBody, "Unreadable body", "the body could not be read")}
	}
	return body, mt, nil
}

// decodeStrict decodes one JSON document into v: unknown fields, type
// mismatches and trailing data are errors naming the field.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return &bodyError{problem(http.StatusBadRequest, probBadBody, "Malformed JSON", "unexpected data after the JSON document")}
	}
	return nil
}

// jsonProblem names the field a JSON decoding error is about.
func jsonProblem(err error) error {
	p := problem(http.StatusBadRequest, probBadBody, "Malformed JSON", "")
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		p.Detail = fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(document)"
		}
		p.Status, p.Type, p.Title = http.StatusUnprocessableEntity, probValidation, "Invalid field"
		p.Errors = []lab.FieldError{{Field: field, Reason: "must be " + jsonKind(te.Type.Kind().String())}}
		p.Detail = field + ": wrong type"
	case errors.Is(err, io.EOF):
		p.Detail = "the body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		p.Detail = "the JSON document ends early"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		p.Status, p.Type, p.Title = http.StatusUnprocessableEntity, probValidation, "Unknown field"
		p.Errors = []lab.FieldError{{Field: field, Reason: "is not a known field"}}
		p.Detail = field + ": unknown field"
	default:
		// Other decoder errors (e.g. a bad time string) carry no field
		// position; they are still the client's.
		p.Detail = "the JSON document could not be decoded: " + err.Error()
	}
	return &bodyError{p}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "a number"
	case "bool":
		return "a boolean"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
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
