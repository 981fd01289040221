// Command imp is the Integrated Medical Platform. It only hands its
// arguments to internal/cli; everything else lives in packages.
package main

import (
	"os"

	"github.com/imp-health/imp/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
