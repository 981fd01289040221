package app

import "runtime/debug"

// version is stamped at build time (Dockerfile: -ldflags "-X
// github.com/imp-health/imp/internal/app.version=$VERSION"); the build
// context has no .git to read a revision from.
var version string

// Version is the stamped version, else the module version or VCS revision
// the binary was built from.
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return "devel"
}
