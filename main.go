// Command slicer is the operator CLI for Slicer microVM daemons.
package main

import (
	"os"

	"github.com/slicer-cli/slicer/cmd"
)

func main() {
	os.Exit(cmd.Main())
}
