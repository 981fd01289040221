// Package report renders the PDF lab result report a patient or clinician
// receives: the lab's header, patient and order identification, a results
// table with flags, reference ranges, statuses and comments, who verified
// the results, and a footer with the report id and page numbers on every
// page.
//
// The package only renders. It never stores or sends a report (that is the
// worker job's and the delivery connectors' business), never logs, and
// never puts patient data in the errors it returns: those name fields,
// not values, so callers may log them.
//
// Output is deterministic: the same Report renders to the same bytes (the
// PDF's dates are the report's GeneratedAt and no random ids are written),
// so tests compare reports by their extracted text, and a re-rendered
// report can be compared with the one delivered.
//
// The PDF uses the standard Helvetica font in the Windows-1252 encoding:
// Western European letters render as they are, other Latin letters lose
// their diacritics (Ł becomes L), and other scripts print as "?". All text
// is real text that can be searched, copied and read by screen readers.
package report
