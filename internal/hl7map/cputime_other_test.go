//go:build !unix

package hl7map_test

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
