package sandbox

import (
	"os"
	"testing"
)

func osPipe(t *testing.T) (*os.File, *os.File, error) { return os.Pipe() }

func fileOf(fd int) *os.File { return os.NewFile(uintptr(fd), "fuzz") }
