package lab

import (
	"strings"
	"testing"
	"time"
)

func validStatusEvent() StatusEvent {
	return StatusEvent{
		AccessionNumber: "ACC-2025-000123",
		Status:          StatusReceived,
		At:              t0,
		SpecimenID:      "SP-1",
		Source:          "lis",
		Note:            "received at core lab",
		Version:         4,
	}
}

func TestStatusEventValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		edit  func(*StatusEvent)
		field string
	}{
		{"valid", func(*StatusEvent) {}, ""},
		{"minimal", func(e *StatusEvent) { *e = StatusEvent{AccessionNumber: "A1", Status: StatusCancelled, At: t0} }, ""},
		{"missing accession number", func(e *StatusEvent) { e.AccessionNumber = "" }, "accession_number"},
		{"bad accession number", func(e *StatusEvent) { e.AccessionNumber = "ACC/1" }, "accession_number"},
		{"missing status", func(e *StatusEvent) { e.Status = "" }, "status"},
		{"unknown status", func(e *StatusEvent) { e.Status = "done" }, "status"},
		{"missing at", func(e *StatusEvent) { e.At = time.Time{} }, "at"},
		{"bad specimen id", func(e *StatusEvent) { e.SpecimenID = "SP 1" }, "specimen_id"},
		{"bad source", func(e *StatusEvent) { e.Source = "lis system" }, "source"},
		{"long note", func(e *StatusEvent) { e.Note = strings.Repeat("n", 2001) }, "note"},
		{"negative version", func(e *StatusEvent) { e.Version = -1 }, "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := validStatusEvent()
			tc.edit(&e)
			if tc.field == "" {
				wantFields(t, e.Validate())
			} else {
				wantFields(t, e.Validate(), tc.field)
			}
		})
	}
}

func TestStatusRank(t *testing.T) {
	t.Parallel()
	for i, s := range Statuses {
		if s.Rank() != i+1 {
			t.Errorf("%q.Rank() = %d, want %d", s, s.Rank(), i+1)
		}
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
	}
	if Status("done").Rank() != 0 || Status("").Valid() {
		t.Error("unknown status ranked or valid")
	}
	if !(StatusOrdered.Rank() < StatusCollected.Rank() && StatusResulted.Rank() < StatusVerified.Rank() &&
		StatusVerified.Rank() < StatusReleased.Rank()) {
		t.Error("progression out of order")
	}
	for _, s := range Statuses {
		if got, want := s.Terminal(), s == StatusReleased || s == StatusCancelled; got != want {
			t.Errorf("%q.Terminal() = %v, want %v", s, got, want)
		}
	}
}

func TestShouldApply(t *testing.T) {
	t.Parallel()
	ev := func(s Status, at time.Time) StatusEvent {
		return StatusEvent{AccessionNumber: "A1", Status: s, At: at}
	}
	later, earlier := t0.Add(time.Minute), t0.Add(-time.Minute)
	for _, tc := range []struct {
		name      string
		current   Status
		currentAt time.Time
		ev        StatusEvent
		want      bool
	}{
		{"first event", "", time.Time{}, ev(StatusOrdered, t0), true},
		{"first event may be any status", "", time.Time{}, ev(StatusResulted, t0), true},
		{"newer event advances", StatusCollected, t0, ev(StatusReceived, later), true},
		{"older event arriving late is dropped", StatusResulted, t0, ev(StatusReceived, earlier), false},
		{"older event is dropped even with a higher rank", StatusReceived, t0, ev(StatusVerified, earlier), false},
		{"newer event may move back (recollection)", StatusReceived, t0, ev(StatusCollected, later), true},
		{"same instant, higher rank wins", StatusReceived, t0, ev(StatusInProgress, t0), true},
		{"same instant, lower rank loses", StatusInProgress, t0, ev(StatusReceived, t0), false},
		{"duplicate is not applied again", StatusReceived, t0, ev(StatusReceived, t0), false},
		{"same instant, cancel wins", StatusVerified, t0, ev(StatusCancelled, t0), true},
		{"released is final", StatusReleased, t0, ev(StatusResulted, later), false},
		{"cancelled is final", StatusCancelled, t0, ev(StatusReleased, later), false},
		{"cancel after release is refused", StatusReleased, t0, ev(StatusCancelled, later), false},
		{"cancel before release applies", StatusVerified, t0, ev(StatusCancelled, later), true},
		{"unknown status never applies", StatusOrdered, t0, ev("done", later), false},
		{"event without time never applies", StatusOrdered, t0, ev(StatusCollected, time.Time{}), false},
		{"instants compare across zones", StatusReceived, t0, ev(StatusInProgress, t0.In(time.FixedZone("X", 3600))), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ShouldApply(tc.current, tc.currentAt, tc.ev); got != tc.want {
				t.Errorf("ShouldApply(%q, %v, %s@%v) = %v, want %v", tc.current, tc.currentAt, tc.ev.Status, tc.ev.At, got, tc.want)
			}
		})
	}
}

// TestShouldApplyOutOfOrder replays one order's events in every arrival
// order and checks that the final state is always the newest event's.
func TestShouldApplyOutOfOrder(t *testing.T) {
	t.Parallel()
	events := []StatusEvent{
		{AccessionNumber: "A1", Status: StatusOrdered, At: t0},
		{AccessionNumber: "A1", Status: StatusCollected, At: t0.Add(10 * time.Minute)},
		{AccessionNumber: "A1", Status: StatusReceived, At: t0.Add(50 * time.Minute)},
		{AccessionNumber: "A1", Status: StatusInProgress, At: t0.Add(50 * time.Minute)}, // same instant as received
		{AccessionNumber: "A1", Status: StatusResulted, At: t0.Add(2 * time.Hour)},
	}
	var permute func([]StatusEvent, int)
	count := 0
	permute = func(a []StatusEvent, k int) {
		if k == len(a) {
			count++
			var cur Status
			var at time.Time
			for _, e := range a {
				if ShouldApply(cur, at, e) {
					cur, at = e.Status, e.At
				}
			}
			if cur != StatusResulted || !at.Equal(t0.Add(2*time.Hour)) {
				order := make([]string, len(a))
				for i, e := range a {
					order[i] = string(e.Status)
				}
				t.Errorf("arrival order %v ended at %s@%v, want resulted", order, cur, at)
			}
			return
		}
		for i := k; i < len(a); i++ {
			a[k], a[i] = a[i], a[k]
			permute(a, k+1)
			a[k], a[i] = a[i], a[k]
		}
	}
	permute(events, 0)
	if count != 120 {
		t.Fatalf("replayed %d orders, want 120", count)
	}
}

func TestORC5Mapping(t *testing.T) {
	t.Parallel()
	from := map[string]Status{
		"SC": StatusOrdered, "IP": StatusInProgress, "A": StatusResulted,
		"CM": StatusVerified, "CA": StatusCancelled, "DC": StatusCancelled,
		" ca ": StatusCancelled, // tolerant of case and padding
	}
	for code, want := range from {
		t.Run("from "+code, func(t *testing.T) {
			t.Parallel()
			if got, ok := StatusFromORC5(code); !ok || got != want {
				t.Errorf("StatusFromORC5(%q) = %q, %v; want %q", code, got, ok, want)
			}
		})
	}
	for _, code := range []string{"HD", "ER", "RP", "", "ZZ"} {
		t.Run("unmapped "+code, func(t *testing.T) {
			t.Parallel()
			if got, ok := StatusFromORC5(code); ok {
				t.Errorf("StatusFromORC5(%q) = %q, true; want false", code, got)
			}
		})
	}
	to := map[Status]string{
		StatusOrdered: "SC", StatusCollected: "IP", StatusReceived: "IP", StatusInProgress: "IP",
		StatusResulted: "A", StatusVerified: "CM", StatusReleased: "CM", StatusCancelled: "CA",
	}
	for _, s := range Statuses {
		t.Run("to "+string(s), func(t *testing.T) {
			t.Parallel()
			code := s.ORC5()
			if code != to[s] {
				t.Errorf("%q.ORC5() = %q, want %q", s, code, to[s])
			}
			// Every status maps to a code that maps back to a status of
			// the same terminal-ness: lossy, but never reopening or closing.
			back, ok := StatusFromORC5(code)
			if !ok || back.Terminal() != (s == StatusCancelled) {
				t.Errorf("round trip %q → %q → %q, %v", s, code, back, ok)
			}
		})
	}
	if Status("done").ORC5() != "" {
		t.Error("unknown status mapped to an ORC-5 code")
	}
}

func TestOBR25Mapping(t *testing.T) {
	t.Parallel()
	from := map[string]Status{
		"O": StatusOrdered, "S": StatusOrdered, "I": StatusInProgress,
		"A": StatusResulted, "P": StatusResulted, "R": StatusResulted,
		"F": StatusVerified, "C": StatusVerified, "X": StatusCancelled, "f": StatusVerified,
	}
	for code, want := range from {
		t.Run("from "+code, func(t *testing.T) {
			t.Parallel()
			if got, ok := StatusFromOBR25(code); !ok || got != want {
				t.Errorf("StatusFromOBR25(%q) = %q, %v; want %q", code, got, ok, want)
			}
		})
	}
	for _, code := range []string{"Y", "Z", "", "Q"} {
		t.Run("unmapped "+code, func(t *testing.T) {
			t.Parallel()
			if got, ok := StatusFromOBR25(code); ok {
				t.Errorf("StatusFromOBR25(%q) = %q, true; want false", code, got)
			}
		})
	}
	to := map[Status]string{
		StatusOrdered: "O", StatusCollected: "O", StatusReceived: "I", StatusInProgress: "I",
		StatusResulted: "R", StatusVerified: "F", StatusReleased: "F", StatusCancelled: "X",
	}
	for _, s := range Statuses {
		t.Run("to "+string(s), func(t *testing.T) {
			t.Parallel()
			code := s.OBR25()
			if code != to[s] {
				t.Errorf("%q.OBR25() = %q, want %q", s, code, to[s])
			}
			back, ok := StatusFromOBR25(code)
			if !ok || back.Terminal() != (s == StatusCancelled) {
				t.Errorf("round trip %q → %q → %q, %v", s, code, back, ok)
			}
		})
	}
	if Status("").OBR25() != "" {
		t.Error("empty status mapped to an OBR-25 code")
	}
}
