package jobs

import (
	"bytes"
	"fmt"
	"text/template"
)

// Notification texts per template. They name the lab and the report, never
// results: a notification travels over email and SMS.
type texts struct {
	subject, email, sms *template.Template
}

// Data is what templates see.
type Data struct {
	LabName    string
	GivenName  string
	Accession  string
	ReportID   string
	Version    int
	URL        string // where to download the report (when not attached)
	Attached   bool
	Correction bool
}

var templates = map[string]texts{
	"report-ready": {
		subject: template.Must(template.New("s").Parse(`{{if .Correction}}Corrected report{{else}}Your results are ready{{end}} — {{.LabName}} {{.Accession}}`)),
		email: template.Must(template.New("e").Parse(`Dear {{if .GivenName}}{{.GivenName}}{{else}}customer{{end}},

{{if .Correction}}A corrected version (v{{.Version}}) of your laboratory report{{else}}Your laboratory report{{end}} for order {{.Accession}} is ready.
{{if .Attached}}It is attached to this email as a PDF.{{else}}You can download it here: {{.URL}}{{end}}

Report {{.ReportID}}
{{.LabName}}
`)),
		sms: template.Must(template.New("m").Parse(`{{.LabName}}: {{if .Correction}}a corrected report{{else}}your report{{end}} for order {{.Accession}} is ready{{if .URL}}: {{.URL}}{{end}}`)),
	},
}

// Render fills a template for a channel and returns subject and body.
func Render(name, channel string, d Data) (subject, body string, err error) {
	if name == "" {
		name = "report-ready"
	}
	t, ok := templates[name]
	if !ok {
		return "", "", fmt.Errorf("unknown template %q", name)
	}
	exec := func(tp *template.Template) (string, error) {
		var b bytes.Buffer
		err := tp.Execute(&b, d)
		return b.String(), err
	}
	if subject, err = exec(t.subject); err != nil {
		return "", "", err
	}
	switch channel {
	case ChannelSMS:
		body, err = exec(t.sms)
	default:
		body, err = exec(t.email)
	}
	return subject, body, err
}
