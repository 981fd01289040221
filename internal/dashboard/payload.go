package dashboard

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// maxShown bounds the payload text a page shows.
const maxShown = 256 << 10

var errGone = errors.New("the record is no longer in its topic (past retention?)")

// fetchRecord reads the record at one position with a short-lived client,
// as consumer.Operator does for re-push.
func (h *Handler) fetchRecord(ctx context.Context, topic string, partition int32, offset int64) (*kgo.Record, error) {
	cl, err := h.opt.Broker.NewClient(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().At(offset)}}),
		kgo.FetchMaxWait(200*time.Millisecond),
	)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no record at %s/%d/%d within the timeout: %w", topic, partition, offset, errGone)
		}
		var found *kgo.Record
		gone := false
		fs.EachRecord(func(r *kgo.Record) {
			switch {
			case r.Offset == offset:
				found = r
			case r.Offset > offset && found == nil:
				gone = true
			}
		})
		if found != nil {
			return found, nil
		}
		if gone {
			return nil, errGone
		}
	}
}

type header struct{ Key, Value string }

// payloadView is a payload as a page shows it.
type payloadView struct {
	Source  source
	Stream  string
	Key     string
	Headers []header
	Format  string // JSON, HL7 v2, text, binary
	Body    string
	Size    int
	Masked  bool
	Cut     bool // longer than maxShown
	Err     string
}

// showPayload fetches and formats a message's payload for the user,
// masked for viewers, and audits the view.
func (h *Handler) showPayload(r *http.Request, s *session, id string, src source) *payloadView {
	ctx := r.Context()
	masked := !can(s.User.Role, roleOperator)
	pv := &payloadView{Source: src, Masked: masked}
	if name, _, ok := h.opt.Topics.Parse(src.Topic); ok {
		pv.Stream = name
	}
	rec, err := h.fetchRecord(ctx, src.Topic, src.Partition, src.Offset)
	if err != nil {
		pv.Err = err.Error()
		return pv
	}
	h.auditf(ctx, s.actor(), "message.view", id, "consumer=%s topic=%s partition=%d offset=%d masked=%t",
		src.Consumer, src.Topic, src.Partition, src.Offset, masked)
	pv.Key = string(rec.Key)
	for _, hd := range rec.Headers {
		v := string(hd.Value)
		if masked && !strings.HasPrefix(hd.Key, "imp-") {
			v = maskText(v) // IMP's own headers carry ids, times and error classes, never PHI
		}
		pv.Headers = append(pv.Headers, header{Key: hd.Key, Value: v})
	}
	pv.Size = len(rec.Value)
	pv.Format, pv.Body = formatPayload(pv.Stream, rec.Value, masked)
	if len(pv.Body) > maxShown {
		pv.Body, pv.Cut = pv.Body[:maxShown], true
	}
	return pv
}

// formatPayload pretty-prints a payload (indented JSON, one HL7 segment
// per line), masking it when asked.
func formatPayload(streamName string, v []byte, masked bool) (format, body string) {
	v = bytes.TrimPrefix(v, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(v)
	switch {
	case len(trimmed) == 0:
		return "empty", ""
	case (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(trimmed):
		if masked {
			return "JSON", maskJSON(streamName, trimmed)
		}
		var out bytes.Buffer
		if err := json.Indent(&out, trimmed, "", "  "); err != nil {
			return "JSON", string(trimmed)
		}
		return "JSON", out.String()
	case isHL7(trimmed):
		text := hl7Lines(string(trimmed))
		if masked {
			text = maskHL7(text)
		}
		return "HL7 v2", text
	case utf8.Valid(v):
		if masked {
			return "text", maskText(string(v))
		}
		return "text", string(v)
	default:
		if masked {
			return "binary", fmt.Sprintf("(%d bytes of binary data, hidden from the viewer role)", len(v))
		}
		return "binary", hex.Dump(v[:min(len(v), 4096)])
	}
}

func isHL7(v []byte) bool {
	return len(v) > 8 && (bytes.HasPrefix(v, []byte("MSH")) || bytes.HasPrefix(v, []byte("FHS")) || bytes.HasPrefix(v, []byte("BHS"))) && !isAlnum(v[3])
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// hl7Lines puts each segment on its own line, whatever the feed's
// segment terminator (\r, \n or \r\n).
func hl7Lines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimRight(s, "\n")
}
