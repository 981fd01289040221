package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// field is one tagged setting of Config, addressable for setting.
type field struct {
	name, def, help string
	secret          bool
	v               reflect.Value
}

func fields(c *Config) []field {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	out := make([]field, 0, rt.NumField())
	for i := range rt.NumField() {
		sf := rt.Field(i)
		name := sf.Tag.Get("name")
		if name == "" {
			continue
		}
		out = append(out, field{
			name: name, def: sf.Tag.Get("default"), help: sf.Tag.Get("help"),
			secret: sf.Tag.Get("secret") == "true", v: rv.Field(i),
		})
	}
	return out
}

func envName(name string) string { return strings.ToUpper(strings.ReplaceAll(name, "-", "_")) }
func yamlKey(name string) string { return strings.ReplaceAll(name, "-", "_") }

// set parses s in flag syntax into the field.
func (f field) set(s string) error {
	switch p := f.v.Addr().Interface().(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a boolean", s)
		}
		*p = b
	case *time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a duration (e.g. 30s, 5m)", s)
		}
		*p = d
	case *[]string:
		*p = splitList(s)
	case *map[string]int:
		m := map[string]int{}
		for _, kv := range splitList(s) {
			k, v, ok := strings.Cut(kv, "=")
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if !ok || err != nil {
				return fmt.Errorf("%q is not name=number", kv)
			}
			m[strings.TrimSpace(k)] = n
		}
		*p = m
	default:
		return fmt.Errorf("unsupported setting type %T", p)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Flags registers one flag per setting on fs, bound to c. Flag defaults are
// the values already in c, so call it on Defaults().
func Flags(fs *pflag.FlagSet, c *Config) {
	for _, f := range fields(c) {
		usage := f.help + " (env IMP_" + envName(f.name) + ")"
		fs.Var(flagValue{f}, f.name, usage)
	}
}

// flagValue adapts a field to pflag.Value.
type flagValue struct{ f field }

func (v flagValue) String() string {
	if v.f.secret {
		if v.f.v.IsZero() {
			return ""
		}
		return "********"
	}
	return format(v.f.v)
}
func (v flagValue) Set(s string) error { return v.f.set(s) }
func (v flagValue) Type() string {
	switch v.f.v.Kind() {
	case reflect.Slice:
		return "list"
	case reflect.Map:
		return "name=n,..."
	case reflect.Bool:
		return "bool"
	}
	if v.f.v.Type() == reflect.TypeFor[time.Duration]() {
		return "duration"
	}
	return v.f.v.Kind().String()
}

func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case []string:
		return strings.Join(x, ",")
	case map[string]int:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + strconv.Itoa(x[k])
		}
		return strings.Join(parts, ",")
	case time.Duration:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// Load fills c from the YAML file (if any), then the environment, then the
// flags that were set explicitly on fs. It does not validate.
func Load(c *Config, fs *pflag.FlagSet, environ []string) error {
	// Flags are bound to c's fields, so the file and env would overwrite
	// what the command line said: remember it first, re-apply it last.
	given := map[string]string{}
	fs.Visit(func(fl *pflag.Flag) { given[fl.Name] = fl.Value.String() })
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "IMP_") {
			env[k] = v
		}
	}
	file := c.ConfigFile
	if v, ok := given["config"]; ok {
		file = v
	} else if v, ok := env["IMP_CONFIG"]; ok {
		file = v
	}
	if file != "" {
		if err := loadYAML(c, file); err != nil {
			return err
		}
	}
	for _, f := range fields(c) {
		if _, ok := given[f.name]; ok {
			continue // re-applied below: flags win over env and file
		}
		if v, ok := env["IMP_"+envName(f.name)]; ok {
			if err := f.set(v); err != nil {
				return fmt.Errorf("%w: IMP_%s: %w", ErrInvalid, envName(f.name), err)
			}
		}
	}
	for _, f := range fields(c) {
		if v, ok := given[f.name]; ok {
			if err := f.set(v); err != nil {
				return fmt.Errorf("%w: --%s: %w", ErrInvalid, f.name, err)
			}
		}
	}
	return nil
}

func loadYAML(c *Config, path string) error {
	b, err := os.ReadFile(path) //nolint:gosec // the operator names the config file; reading it is the point
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%w: config file %s: %w", ErrInvalid, path, err)
	}
	byKey := map[string]field{}
	for _, f := range fields(c) {
		byKey[yamlKey(f.name)] = f
	}
	for k, v := range raw {
		f, ok := byKey[k]
		if !ok {
			return fmt.Errorf("%w: config file %s: unknown setting %q", ErrInvalid, path, k)
		}
		if err := f.set(yamlScalar(v)); err != nil {
			return fmt.Errorf("%w: config file %s: %s: %w", ErrInvalid, path, k, err)
		}
	}
	return nil
}

// yamlScalar turns a decoded YAML value back into flag syntax.
func yamlScalar(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		parts := make([]string, 0, len(x))
		for k, e := range x {
			parts = append(parts, k+"="+fmt.Sprint(e))
		}
		return strings.Join(parts, ",")
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// Setting describes one setting for documentation.
type Setting struct {
	Flag, Env, Default, Help string
}

// Settings lists every setting, in declaration order, for docs and --help.
func Settings() []Setting {
	var c Config
	fs := fields(&c)
	out := make([]Setting, len(fs))
	for i, f := range fs {
		out[i] = Setting{Flag: "--" + f.name, Env: "IMP_" + envName(f.name), Default: f.def, Help: f.help}
	}
	return out
}
