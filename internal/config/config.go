package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Config is every setting of IMP. Tags:
//
//	name:    the flag name (--name), the env var (IMP_NAME, upper-cased, '-' → '_')
//	         and the YAML key (name with '-' → '_')
//	default: the default value, in flag syntax
//	help:    one line for --help and the README
type Config struct {
	ConfigFile string `name:"config" help:"optional YAML file with any of these settings (keys use '_' for '-')"`

	DataDir  string `name:"data-dir" default:"./data" help:"directory for the embedded broker, the embedded SQLite store and local files"`
	HTTPAddr string `name:"http-addr" default:":8080" help:"address the REST API (and /healthz, /readyz, /metrics) listens on"`

	KafkaBrokers      []string       `name:"kafka-brokers" help:"comma-separated Kafka bootstrap brokers; empty starts the embedded broker"`
	KafkaListen       string         `name:"kafka-listen" default:"127.0.0.1:9092" help:"listen address of the embedded broker (only when kafka-brokers is empty); port 0 picks a free port"`
	KafkaClientID     string         `name:"kafka-client-id" default:"imp" help:"Kafka client id"`
	KafkaSASLMech     string         `name:"kafka-sasl-mechanism" help:"SASL mechanism for an external cluster: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"`
	KafkaSASLUser     string         `name:"kafka-sasl-user" help:"SASL user name"`
	KafkaSASLPassword string         `name:"kafka-sasl-password" secret:"true" help:"SASL password"`
	KafkaTLS          bool           `name:"kafka-tls" help:"connect to the brokers over TLS (system roots)"`
	TopicPrefix       string         `name:"topic-prefix" default:"imp." help:"prefix of every topic IMP creates and uses"`
	Partitions        int            `name:"partitions" default:"6" help:"default partition count of a stream's topics"`
	StreamPartitions  map[string]int `name:"stream-partitions" help:"per-stream partition counts, e.g. lis-orders=12,worker=15"`
	ReplicationFactor int            `name:"replication-factor" default:"-1" help:"replication factor of created topics; -1 uses the broker default"`
	ProduceTimeout    time.Duration  `name:"produce-timeout" default:"10s" help:"how long a request waits for the broker's acknowledgement"`

	DatabaseURL string `name:"database-url" secret:"true" help:"postgres://... for PostgreSQL; empty uses SQLite at <data-dir>/imp.db"`

	AdminKey  string `name:"admin-key" secret:"true" help:"admin API key to install on start (for automation); otherwise one is generated on first start and printed once"`
	KeyPepper string `name:"key-pepper" secret:"true" help:"server-side secret mixed into API key hashes; keep it outside the database"`

	TrackingRetention time.Duration `name:"tracking-retention" default:"336h" help:"how long message tracking and processed-message records are kept (longer than topic retention, so redelivery stays deduplicated)"`
	LagInterval       time.Duration `name:"lag-interval" default:"15s" help:"how often consumer lag is read for /metrics"`

	MLLPAddr    string `name:"mllp-addr" default:":2575" help:"address of the MLLP listener for HL7 v2 from the LIS and partners (imp serve, imp api); empty disables it"`
	MLLPTLSCert string `name:"mllp-tls-cert" help:"PEM certificate for MLLP over TLS (with mllp-tls-key)"`
	MLLPTLSKey  string `name:"mllp-tls-key" help:"PEM private key for MLLP over TLS"`

	LISAddr       string        `name:"lis-addr" help:"host:port of the LIS's MLLP listener that receives orders; empty: orders wait in the retry ladder"`
	LISTLS        bool          `name:"lis-tls" help:"speak MLLP over TLS to the LIS"`
	LISMessage    string        `name:"lis-message" default:"ORM" help:"order message the LIS takes: ORM (ORM^O01) or OML (OML^O21)"`
	LISAckTimeout time.Duration `name:"lis-ack-timeout" default:"30s" help:"how long to wait for the LIS's ACK"`
	LISConns      int           `name:"lis-connections" default:"2" help:"MLLP connections kept open to the LIS"`
	HL7App        string        `name:"hl7-app" default:"IMP" help:"MSH-3 sending application of the HL7 IMP sends"`
	HL7Facility   string        `name:"hl7-facility" default:"LAB" help:"MSH-4 sending facility"`
	LISApp        string        `name:"lis-app" default:"LIS" help:"MSH-5 receiving application of orders"`
	LISFacility   string        `name:"lis-facility" default:"LAB" help:"MSH-6 receiving facility of orders"`

	ReportsDir       string   `name:"reports-dir" help:"where PDF reports are stored; empty: <data-dir>/reports"`
	PublicURL        string   `name:"public-url" default:"http://localhost:8080" help:"the API's public base URL, used in report links sent to customers"`
	LabName          string   `name:"lab-name" default:"IMP Laboratory" help:"laboratory name printed on reports and notifications"`
	LabAddress       []string `name:"lab-address" help:"address lines printed on reports"`
	LabPhone         string   `name:"lab-phone" help:"phone printed on reports"`
	LabAccreditation string   `name:"lab-accreditation" help:"accreditation line printed on reports"`

	WebhookAllowHTTP bool   `name:"webhook-allow-http" help:"allow plain http:// webhook and SMS gateway URLs (in-cluster receivers); https is required otherwise"`
	SMTPHost         string `name:"smtp-host" help:"SMTP server for email notifications; empty disables email"`
	SMTPPort         int    `name:"smtp-port" default:"587" help:"SMTP port"`
	SMTPFrom         string `name:"smtp-from" default:"IMP Laboratory <no-reply@localhost>" help:"From address of notifications"`
	SMTPUser         string `name:"smtp-user" help:"SMTP user (AUTH when set)"`
	SMTPPassword     string `name:"smtp-password" secret:"true" help:"SMTP password"`
	SMTPTLS          string `name:"smtp-tls" default:"starttls" help:"starttls (when offered), starttls-required or implicit"`
	SMSURL           string `name:"sms-url" help:"SMS gateway URL (JSON POST {to, text, reference}); empty disables SMS"`
	SMSToken         string `name:"sms-token" secret:"true" help:"bearer token of the SMS gateway"`

	InstanceID string `name:"instance-id" help:"static consumer-group membership id (e.g. a StatefulSet pod name): a restarted member takes its partitions back at once instead of after the session timeout"`

	Consumers        []string      `name:"consumers" help:"consumers to enable in addition to the defaults (e.g. the scaled-to-zero ones)"`
	DisableConsumers []string      `name:"disable-consumers" help:"consumers to disable"`
	ShutdownTimeout  time.Duration `name:"shutdown-timeout" default:"25s" help:"bound on graceful shutdown: finish in-flight work, commit, leave groups"`

	DashboardSecureCookies bool     `name:"dashboard-secure-cookies" help:"mark dashboard cookies Secure (__Host- prefixed at /): set it when users reach the dashboard over HTTPS, directly or through a TLS-terminating proxy"`
	DashboardOrigins       []string `name:"dashboard-origins" help:"public origins (https://imp.lab.example) the dashboard's forms may be posted from, when a proxy rewrites the Host header"`

	LogLevel  string `name:"log-level" default:"info" help:"debug, info, warn or error"`
	LogFormat string `name:"log-format" default:"text" help:"text or json"`
}

// Defaults returns a Config holding every default value.
func Defaults() Config {
	var c Config
	for _, f := range fields(&c) {
		if f.def != "" {
			if err := f.set(f.def); err != nil {
				panic(fmt.Sprintf("config: bad default for %s: %v", f.name, err))
			}
		}
	}
	return c
}

// Embedded reports whether IMP runs its own broker (no brokers configured).
func (c *Config) Embedded() bool { return len(c.KafkaBrokers) == 0 }

// SQLitePath is where the embedded store lives when DatabaseURL is empty.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "imp.db") }

// BrokerDir is where the embedded broker keeps its log.
func (c *Config) BrokerDir() string { return filepath.Join(c.DataDir, "kafka") }

// ErrInvalid is matched by every validation error of Validate.
var ErrInvalid = errors.New("invalid configuration")

// Validate checks every setting and names the first bad one.
func (c *Config) Validate() error {
	bad := func(name, format string, args ...any) error {
		return fmt.Errorf("%w: %s (IMP_%s): %s", ErrInvalid, name, envName(name), fmt.Sprintf(format, args...))
	}
	if c.DataDir == "" {
		return bad("data-dir", "must not be empty")
	}
	if err := checkAddr(c.HTTPAddr); err != nil {
		return bad("http-addr", "%v", err)
	}
	if c.Embedded() {
		if err := checkAddr(c.KafkaListen); err != nil {
			return bad("kafka-listen", "%v", err)
		}
	}
	for _, b := range c.KafkaBrokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return bad("kafka-brokers", "%q is not host:port", b)
		}
	}
	switch c.KafkaSASLMech {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		return bad("kafka-sasl-mechanism", "must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	}
	if c.KafkaSASLMech != "" && c.KafkaSASLUser == "" {
		return bad("kafka-sasl-user", "is required with a SASL mechanism")
	}
	if c.TopicPrefix != "" && strings.ContainsAny(c.TopicPrefix, " /\\") {
		return bad("topic-prefix", "must not contain spaces or slashes")
	}
	if c.Partitions < 1 {
		return bad("partitions", "must be at least 1")
	}
	for s, n := range c.StreamPartitions {
		if n < 1 {
			return bad("stream-partitions", "%s must have at least 1 partition", s)
		}
	}
	if c.ReplicationFactor == 0 || c.ReplicationFactor < -1 {
		return bad("replication-factor", "must be -1 or at least 1")
	}
	if c.ProduceTimeout <= 0 {
		return bad("produce-timeout", "must be positive")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return bad("database-url", "must be a postgres:// URL")
		}
	}
	if c.AdminKey != "" && len(c.AdminKey) < 16 {
		return bad("admin-key", "must be at least 16 characters")
	}
	if c.MLLPAddr != "" {
		if err := checkAddr(c.MLLPAddr); err != nil {
			return bad("mllp-addr", "%v", err)
		}
	}
	if (c.MLLPTLSCert == "") != (c.MLLPTLSKey == "") {
		return bad("mllp-tls-cert", "mllp-tls-cert and mllp-tls-key go together")
	}
	if c.LISAddr != "" {
		if _, _, err := net.SplitHostPort(c.LISAddr); err != nil {
			return bad("lis-addr", "%q is not host:port", c.LISAddr)
		}
	}
	if c.LISMessage != "ORM" && c.LISMessage != "OML" {
		return bad("lis-message", "must be ORM or OML")
	}
	if c.LISAckTimeout <= 0 {
		return bad("lis-ack-timeout", "must be positive")
	}
	if c.LISConns < 1 {
		return bad("lis-connections", "must be at least 1")
	}
	switch c.SMTPTLS {
	case "starttls", "starttls-required", "implicit":
	default:
		return bad("smtp-tls", "must be starttls, starttls-required or implicit")
	}
	if c.SMTPHost != "" && (c.SMTPPort < 1 || c.SMTPPort > 65535) {
		return bad("smtp-port", "must be a port number")
	}
	if c.TrackingRetention < time.Hour {
		return bad("tracking-retention", "must be at least 1h")
	}
	if c.LagInterval < time.Second {
		return bad("lag-interval", "must be at least 1s")
	}
	if c.ShutdownTimeout <= 0 {
		return bad("shutdown-timeout", "must be positive")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("log-level", "must be debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return bad("log-format", "must be text or json")
	}
	return nil
}

func checkAddr(a string) error {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("%q is not [host]:port", a)
	}
	if port == "" {
		return fmt.Errorf("%q has no port", a)
	}
	return nil
}
