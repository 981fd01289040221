package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args []string, env []string) (Config, error) {
	t.Helper()
	c := Defaults()
	fs := pflag.NewFlagSet("imp", pflag.ContinueOnError)
	Flags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	err := Load(&c, fs, env)
	return c, err
}

func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	c := Defaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.Embedded() || c.HTTPAddr != ":8080" || c.KafkaListen != "127.0.0.1:9092" || c.DataDir != "./data" || c.MLLPAddr != ":2575" {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestPrecedenceFlagsOverEnvOverFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "imp.yaml")
	if err := os.WriteFile(file, []byte("http_addr: ':1111'\npartitions: 4\nstream_partitions: {lis-orders: 12}\nconsumers: [group, orders]\nshutdown_timeout: 40s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, []string{"--config", file, "--http-addr", ":3333"}, []string{"IMP_HTTP_ADDR=:2222", "IMP_PARTITIONS=8", "HOME=/x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":3333" {
		t.Errorf("http-addr = %q, want the flag's", c.HTTPAddr)
	}
	if c.Partitions != 8 {
		t.Errorf("partitions = %d, want the env's", c.Partitions)
	}
	if c.StreamPartitions["lis-orders"] != 12 || len(c.Consumers) != 2 || c.ShutdownTimeout != 40*time.Second {
		t.Errorf("file values = %+v %v %v", c.StreamPartitions, c.Consumers, c.ShutdownTimeout)
	}
	c, err = load(t, nil, []string{"IMP_CONFIG=" + file})
	if err != nil || c.HTTPAddr != ":1111" {
		t.Fatalf("IMP_CONFIG file: %q, %v", c.HTTPAddr, err)
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unknown := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(unknown, []byte("htp_addr: x\n"), 0o600)
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"bad int env", nil, []string{"IMP_PARTITIONS=many"}, "IMP_PARTITIONS"},
		{"bad duration flag", []string{"--shutdown-timeout", "soon"}, nil, "shutdown-timeout"},
		{"zero partitions", nil, []string{"IMP_PARTITIONS=0"}, "partitions"},
		{"bad broker", nil, []string{"IMP_KAFKA_BROKERS=nohostport"}, "kafka-brokers"},
		{"bad database url", nil, []string{"IMP_DATABASE_URL=mysql://x"}, "database-url"},
		{"short admin key", nil, []string{"IMP_ADMIN_KEY=short"}, "admin-key"},
		{"bad log level", nil, []string{"IMP_LOG_LEVEL=loud"}, "log-level"},
		{"sasl without user", nil, []string{"IMP_KAFKA_BROKERS=k:9092", "IMP_KAFKA_SASL_MECHANISM=PLAIN"}, "kafka-sasl-user"},
		{"bad lis message", nil, []string{"IMP_LIS_MESSAGE=XML"}, "lis-message"},
		{"half tls", nil, []string{"IMP_MLLP_TLS_CERT=/x.pem"}, "mllp-tls-cert"},
		{"bad stream partitions", nil, []string{"IMP_STREAM_PARTITIONS=lis-orders"}, "IMP_STREAM_PARTITIONS"},
		{"unknown file key", []string{"--config", unknown}, nil, "htp_addr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := load(t, tc.args, tc.env)
			if err == nil {
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to name %s", err, tc.want)
			}
			// Flag syntax errors come from the flag parser; the rest are ErrInvalid.
			if !errors.Is(err, ErrInvalid) && !strings.Contains(err.Error(), "flag") {
				t.Fatalf("err = %v is not ErrInvalid", err)
			}
		})
	}
}

func TestSecretsAreNotPrintedInHelp(t *testing.T) {
	t.Parallel()
	c := Defaults()
	c.DatabaseURL = "postgres://u:hunter2@db/imp"
	fs := pflag.NewFlagSet("imp", pflag.ContinueOnError)
	Flags(fs, &c)
	if strings.Contains(fs.FlagUsages(), "hunter2") {
		t.Fatal("a secret value appears in --help")
	}
}
