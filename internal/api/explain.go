package api

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imp-health/imp/internal/lab"
)

const (
	reasonUnknown = "is not a known field"
	maxExplained  = 20
)

var timeType = reflect.TypeFor[time.Time]()

// field is one JSON member of a struct type.
type field struct {
	name      string
	index     []int
	typ       reflect.Type
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type -> []field

// jsonFields lists t's JSON members as encoding/json sees them (tags,
// embedded structs flattened, "-" skipped).
func jsonFields(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" || (!sf.IsExported() && !sf.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			for _, f := range jsonFields(sf.Type) {
				f.index = append([]int{i}, f.index...)
				out = append(out, f)
			}
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, field{name: name, index: []int{i}, typ: sf.Type,
			omitEmpty: strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")})
	}
	fieldCache.Store(t, out)
	return out
}

// explain walks a syntactically valid JSON document against the type of
// v and names every member that encoding/json would refuse, with its full
// path ("tests[1].code"). It is the slow path of a failed decode, so it
// favours precise messages over speed.
func explain(b []byte, v any) []lab.FieldError {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []lab.FieldError
	walk(&out, "", doc, t)
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func add(out *[]lab.FieldError, path, reason string) {
	if len(*out) >= maxExplained {
		return
	}
	if path == "" {
		path = "(document)"
	}
	*out = append(*out, lab.FieldError{Field: path, Reason: reason})
}

func walk(out *[]lab.FieldError, path string, v any, t reflect.Type) {
	if v == nil {
		return // null leaves the zero value, as encoding/json does
	}
	if t == timeType {
		s, ok := v.(string)
		if !ok {
			add(out, path, "must be an RFC 3339 date-time string")
		} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			add(out, path, "must be an RFC 3339 date-time, e.g. 2026-01-02T15:04:05Z")
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		walk(out, path, v, t.Elem())
	case reflect.Interface:
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			add(out, path, "must be an object")
			return
		}
		fs := jsonFields(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			f, ok := lookupField(fs, k)
			if !ok {
				add(out, join(path, k), reasonUnknown)
				continue
			}
			walk(out, join(path, f.name), m[k], f.typ)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			add(out, path, "must be an object")
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			walk(out, join(path, k), m[k], t.Elem())
		}
	case reflect.Slice, reflect.Array:
		a, ok := v.([]any)
		if !ok {
			if t.Elem().Kind() == reflect.Uint8 {
				if _, ok := v.(string); ok {
					return // []byte is base64 text
				}
			}
			add(out, path, "must be an array")
			return
		}
		for i, e := range a {
			walk(out, path+"["+strconv.Itoa(i)+"]", e, t.Elem())
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			add(out, path, "must be a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			add(out, path, "must be a boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			add(out, path, "must be an integer")
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		switch {
		case err != nil && strings.ContainsAny(string(n), ".eE"):
			add(out, path, "must be an integer")
		case err != nil || reflect.Zero(t).OverflowInt(i):
			add(out, path, "is out of range")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			add(out, path, "must be a non-negative integer")
			return
		}
		u, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil || reflect.Zero(t).OverflowUint(u) {
			add(out, path, "must be a non-negative integer in range")
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			add(out, path, "must be a number")
			return
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) || (t.Kind() == reflect.Float32 && math.Abs(f) > math.MaxFloat32) {
			add(out, path, "is out of range")
		}
	}
}

// lookupField matches a member name as encoding/json does: exactly, else
// case-insensitively.
func lookupField(fs []field, k string) (field, bool) {
	for _, f := range fs {
		if f.name == k {
			return f, true
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, k) {
			return f, true
		}
	}
	return field{}, false
}
