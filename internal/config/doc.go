// Package config holds IMP's one configuration struct and binds it from
// defaults, an optional YAML file, IMP_* environment variables and command
// line flags, in that order of precedence (flags win).
//
// Every setting is declared once, as a tagged field of Config; flags, env
// names, YAML keys, `imp --help` and the README table are all derived from
// those tags, so they cannot drift apart. The package must never open
// connections or files other than the YAML file it is asked to read.
package config
