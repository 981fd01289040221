package smtptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
)

// Parsed is a received message taken apart with net/mail and
// mime/multipart: what a test wants to assert on.
type Parsed struct {
	Header    netmail.Header
	Subject   string // RFC 2047-decoded
	MessageID string // with angle brackets, as sent
	// Text and HTML are the decoded text/plain and text/html bodies (the
	// first of each outside attachments), with "\r\n" line ends as on the
	// wire.
	Text string
	HTML string
	// Attachments are the parts with a file name or an attachment
	// disposition, decoded.
	Attachments []Attachment
}

// Attachment is a decoded attachment.
type Attachment struct {
	Filename    string
	ContentType string // media type without parameters
	Data        []byte
}

var wordDecoder = new(mime.WordDecoder)

// Parse takes m.Data apart.
func (m Message) Parse() (*Parsed, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, fmt.Errorf("smtptest: read message: %w", err)
	}
	p := &Parsed{Header: msg.Header, MessageID: msg.Header.Get("Message-Id")}
	if p.Subject, err = wordDecoder.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("smtptest: subject: %w", err)
	}
	if err := p.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"),
		msg.Header.Get("Content-Disposition"), msg.Body, 0); err != nil {
		return nil, err
	}
	return p, nil
}

// walk descends into one MIME entity.
func (p *Parsed) walk(contentType, cte, disposition string, body io.Reader, depth int) error {
	if depth > 10 {
		return fmt.Errorf("smtptest: MIME nesting deeper than 10")
	}
	if contentType == "" {
		contentType = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("smtptest: content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: decoding is done here, for every encoding alike.
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("smtptest: multipart: %w", err)
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.Header.Get("Content-Disposition"), part, depth+1); err != nil {
				return err
			}
		}
	}
	data, err := decode(cte, body)
	if err != nil {
		return err
	}
	filename := params["name"]
	isAttachment := false
	if disposition != "" {
		d, dp, err := mime.ParseMediaType(disposition)
		if err == nil {
			isAttachment = d == "attachment"
			if dp["filename"] != "" {
				filename = dp["filename"]
			}
		}
	}
	if filename != "" {
		if dec, err := wordDecoder.DecodeHeader(filename); err == nil {
			filename = dec
		}
	}
	switch {
	case isAttachment || filename != "":
		p.Attachments = append(p.Attachments, Attachment{Filename: filename, ContentType: mt, Data: data})
	case mt == "text/plain" && p.Text == "":
		p.Text = string(data)
	case mt == "text/html" && p.HTML == "":
		p.HTML = string(data)
	}
	return nil
}

func decode(cte string, r io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, newlineStripper{r}))
		if err != nil {
			return nil, fmt.Errorf("smtptest: base64 body: %w", err)
		}
		return b, nil
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(r))
		if err != nil {
			return nil, fmt.Errorf("smtptest: quoted-printable body: %w", err)
		}
		return b, nil
	default: // 7bit, 8bit, binary
		return io.ReadAll(r)
	}
}

// newlineStripper drops line breaks, which base64 bodies have every 76
// characters and encoding/base64 tolerates only in some positions.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
