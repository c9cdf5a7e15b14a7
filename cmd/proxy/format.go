package proxy

import (
	"strconv"
	"strings"
)

func joinOr(v []string, empty string) string {
	if len(v) == 0 {
		return empty
	}
	return strings.Join(v, ",")
}

func joinPorts(p []int) string {
	if len(p) == 0 {
		return "80,443"
	}
	s := make([]string, len(p))
	for i, n := range p {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
