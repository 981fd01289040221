package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/imp-health/imp/internal/lab"
	"github.com/imp-health/imp/internal/msgid"
)

// Complete reports whether every test of the order has a final or
// corrected result (a cancelled test counts as reported) — the moment a
// PDF report is due.
func Complete(o lab.Order, rs []lab.Result) bool {
	if len(o.Tests) == 0 {
		return false
	}
	have := map[string]lab.ResultStatus{}
	for _, r := range rs {
		have[r.TestCode] = r.Status
	}
	for _, t := range o.Tests {
		switch have[t.Code] {
		case lab.ResultFinal, lab.ResultCorrected, lab.ResultCancelled:
		default:
			return false
		}
	}
	return true
}

// Digest identifies a set of results: a correction changes it, a
// redelivery does not. One report version exists per digest.
func Digest(rs []lab.Result) string {
	keys := make([]string, len(rs))
	for i, r := range rs {
		keys[i] = r.TestCode + "|" + strconv.FormatInt(r.Version, 10) + "|" + string(r.Status) + "|" + strconv.FormatInt(r.UpdatedAt.UnixMicro(), 10)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ReportJobID is the message id of the pdf-report job of one result set.
func ReportJobID(accession, digest string) string {
	return msgid.Derive("imp-job-pdf-report", accession, digest)
}

// ReportID names a report version of an order.
func ReportID(accession, digest string) string { return "RPT-" + accession + "-" + digest[:8] }

// NotifyJobID is the message id of one notification of one report.
func NotifyJobID(reportID, channel string) string {
	return msgid.Derive("imp-job-notify", reportID, channel)
}

// CreatedOrderID is the message id of the order a create-order job makes.
func CreatedOrderID(jobID string) string { return msgid.Derive("imp-job-create-order", jobID) }
