package forward

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultBindAddress is where a spec without an explicit bind address
// listens: loopback only, never all interfaces.
const DefaultBindAddress = "127.0.0.1"

// Spec is one parsed -L forward.
type Spec struct {
	// ListenNetwork is "tcp" or "unix".
	ListenNetwork string
	// ListenAddress is host:port for TCP (port 0 picks a free port) or an
	// absolute socket path for unix.
	ListenAddress string
	// Upstream is the target inside the VM as sent in X-Inlets-Upstream:
	// "host:port" or "unix:/path".
	Upstream string
}

// String renders the spec as listen -> upstream, for messages.
func (s Spec) String() string {
	l := s.ListenAddress
	if s.ListenNetwork == "unix" {
		l = "unix:" + l
	}
	return l + " -> " + s.Upstream
}

// ParseSpec parses a -L forward spec with the grammar of PROTOCOL.md §13.3,
// tried in this order:
//
//	/local.sock:/guest.sock            unix to unix (relative local paths made absolute, ~/ is the home directory)
//	/local.sock:[HOST:]PORT            unix to TCP (HOST defaults to 127.0.0.1)
//	[ADDR:]PORT:/guest.sock            TCP to unix
//	HOST:PORT                          listen on HOST:PORT, forward to HOST:PORT
//	LPORT:HOST:RPORT                   listen on 127.0.0.1:LPORT, forward to HOST:RPORT
//	ADDR:LPORT:HOST:RPORT              listen on ADDR:LPORT, forward to HOST:RPORT
//
// Port 0 listens on a free port. Without an explicit bind address a forward
// listens on DefaultBindAddress; the vendor SDK binds 0.0.0.0 for
// PORT:/guest.sock and the remote host's address for LPORT:HOST:RPORT, and
// has no unix-to-TCP form.
func ParseSpec(s string) (Spec, error) {
	sp, err := parseSpec(strings.TrimSpace(s))
	if err != nil {
		return Spec{}, fmt.Errorf("invalid forward %q: %w", s, err)
	}
	return sp, nil
}

var errEmpty = errors.New("empty spec; expected e.g. 8080:127.0.0.1:80, 127.0.0.1:3000 or 2375:/var/run/docker.sock")

func looksLikePath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || strings.Contains(s, "/")
}

func startsLikePath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "~/")
}

func parseSpec(s string) (Spec, error) {
	if s == "" {
		return Spec{}, errEmpty
	}
	// 1. unix to unix.
	if i := strings.LastIndex(s, ":"); i > 0 {
		local, remote := s[:i], s[i+1:]
		if looksLikePath(local) && looksLikePath(remote) {
			l, err := localSocket(local)
			if err != nil {
				return Spec{}, err
			}
			return Spec{ListenNetwork: "unix", ListenAddress: l, Upstream: "unix:" + remote}, nil
		}
	}
	// 2. unix to TCP (an addition to the SDK grammar).
	if startsLikePath(s) {
		parts := strings.Split(s, ":")
		if len(parts) < 2 {
			return Spec{}, errors.New("a local socket needs a target: /local.sock:/guest.sock or /local.sock:[HOST:]PORT")
		}
		port, err := parsePort(parts[len(parts)-1])
		if err != nil {
			return Spec{}, err
		}
		host, local := DefaultBindAddress, strings.Join(parts[:len(parts)-1], ":")
		if len(parts) >= 3 && !strings.Contains(parts[len(parts)-2], "/") {
			host, local = strings.TrimSpace(parts[len(parts)-2]), strings.Join(parts[:len(parts)-2], ":")
			if host == "" {
				return Spec{}, errors.New("empty target host")
			}
		}
		l, err := localSocket(local)
		if err != nil {
			return Spec{}, err
		}
		return Spec{ListenNetwork: "unix", ListenAddress: l, Upstream: hostPort(host, port)}, nil
	}
	// 3. TCP to unix.
	if i := strings.Index(s, ":/"); i >= 0 {
		listen, remote := s[:i], s[i+1:]
		addr, portStr := DefaultBindAddress, listen
		if j := strings.LastIndex(listen, ":"); j >= 0 {
			addr, portStr = strings.TrimSpace(listen[:j]), listen[j+1:]
			if addr == "" {
				return Spec{}, errors.New("empty bind address")
			}
		}
		port, err := parsePort(portStr)
		if err != nil {
			return Spec{}, err
		}
		return Spec{ListenNetwork: "tcp", ListenAddress: hostPort(addr, port), Upstream: "unix:" + remote}, nil
	}
	// 4. TCP to TCP.
	parts := strings.Split(s, ":")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	switch len(parts) {
	case 2:
		port, err := parsePort(parts[1])
		if err != nil {
			return Spec{}, err
		}
		if parts[0] == "" {
			return Spec{}, errors.New("empty host")
		}
		if port == 0 {
			return Spec{}, errors.New("port 0 needs a separate target port: use 0:HOST:PORT")
		}
		hp := hostPort(parts[0], port)
		return Spec{ListenNetwork: "tcp", ListenAddress: hp, Upstream: hp}, nil
	case 3:
		lport, err := parsePort(parts[0])
		if err != nil {
			return Spec{}, err
		}
		rport, err := parsePort(parts[2])
		if err != nil {
			return Spec{}, err
		}
		if parts[1] == "" {
			return Spec{}, errors.New("empty target host")
		}
		return Spec{ListenNetwork: "tcp", ListenAddress: hostPort(DefaultBindAddress, lport), Upstream: hostPort(parts[1], rport)}, nil
	case 4:
		lport, err := parsePort(parts[1])
		if err != nil {
			return Spec{}, err
		}
		rport, err := parsePort(parts[3])
		if err != nil {
			return Spec{}, err
		}
		if parts[0] == "" || parts[2] == "" {
			return Spec{}, errors.New("empty address")
		}
		return Spec{ListenNetwork: "tcp", ListenAddress: hostPort(parts[0], lport), Upstream: hostPort(parts[2], rport)}, nil
	default:
		return Spec{}, errors.New("expected 2-4 colon-separated parts: [ADDR:]LPORT:HOST:RPORT, HOST:PORT, [ADDR:]PORT:/guest.sock or /local.sock:/guest.sock")
	}
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("invalid port %q: want a number from 0 to 65535", s)
	}
	return p, nil
}

func hostPort(host string, port int) string { return host + ":" + strconv.Itoa(port) }

func localSocket(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return "", errors.New("empty local socket path")
	}
	if strings.HasPrefix(p, "~/") {
		// A quoted spec (-L '~/.slicer/docker.sock:/var/run/docker.sock')
		// reaches us without the shell's tilde expansion.
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("local socket path %s: %w", p, err)
		}
		p = filepath.Join(home, p[2:])
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("local socket path: %w", err)
	}
	return abs, nil
}
