package cmd

import (
	"bytes"
	"io"
	"os"
	"strings"

	"github.com/slicer-cli/slicer/pkg/iostreams"
)

func testIO() (*iostreams.IOStreams, *bytes.Buffer) {
	errOut := &bytes.Buffer{}
	ios := &iostreams.IOStreams{In: io.NopCloser(strings.NewReader("")), Out: io.Discard, ErrOut: errOut, Getenv: os.Getenv}
	return ios, errOut
}
