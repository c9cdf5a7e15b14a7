package vm

import (
	"fmt"
	"strings"
	"time"

	"github.com/slicer-cli/slicer/pkg/client"
)

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// formatRAM prints a byte count the way the vendor table does (4GiB).
func formatRAM(b int64) string {
	switch {
	case b <= 0:
		return "-"
	case b%gib == 0:
		return fmt.Sprintf("%dGiB", b/gib)
	case b%mib == 0:
		return fmt.Sprintf("%dMiB", b/mib)
	}
	return formatBytes(float64(b))
}

// formatSpecRAM prints RAM the way the vendor's "VM created" block does
// ("2GB RAM"), where listings say "4GiB".
func formatSpecRAM(b int64) string {
	switch {
	case b > 0 && b%gib == 0:
		return fmt.Sprintf("%dGB", b/gib)
	case b > 0 && b%mib == 0:
		return fmt.Sprintf("%dMB", b/mib)
	}
	return formatRAM(b)
}

// formatBytes prints a size with a binary unit (159MB style, as vm top).
func formatBytes(b float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0fB", b)
	}
	if b >= 100 || b == float64(int64(b)) {
		return fmt.Sprintf("%.0f%s", b, units[i])
	}
	return fmt.Sprintf("%.1f%s", b, units[i])
}

// formatDuration prints a whole-second duration (53s, 7m45s, 2h3m0s).
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return d.Truncate(time.Second).String()
}

// friendlyName returns the VM's name= tag value.
func friendlyName(n client.SlicerNode) string {
	for _, t := range n.Tags {
		if v, ok := strings.CutPrefix(t, "name="); ok {
			return v
		}
	}
	return ""
}

// userTags are the tags without name=, for the human TAGS column.
func userTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if !strings.HasPrefix(t, "name=") {
			out = append(out, t)
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
