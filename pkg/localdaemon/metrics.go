package localdaemon

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// metrics are the counters GET /metrics exposes in the Prometheus text
// format, with the real daemon's metric names (PROTOCOL.md §3.3).
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]int64 // method, code
	launches map[[2]string]int64 // host group, code
}

func (m *metrics) request(method string, status int) {
	if status == 0 {
		status = http.StatusOK
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.requests == nil {
		m.requests = map[[2]string]int64{}
	}
	m.requests[[2]string{method, fmt.Sprint(status)}]++
}

func (m *metrics) launch(group string, err error) {
	code := "200"
	if err != nil {
		code = "500"
		if ae, ok := err.(*apiError); ok {
			code = fmt.Sprint(ae.status)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.launches == nil {
		m.launches = map[[2]string]int64{}
	}
	m.launches[[2]string{group, code}]++
}

func writeCounter(b *strings.Builder, name, l1, l2 string, vals map[[2]string]int64) {
	keys := make([][2]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+" "+keys[i][1] < keys[j][0]+" "+keys[j][1] })
	for _, k := range keys {
		fmt.Fprintf(b, "%s{%s=%q,%s=%q} %d\n", name, l1, k[0], l2, k[1], vals[k])
	}
}

func (d *Daemon) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	var b strings.Builder
	b.WriteString("# HELP slicer_vm_running VMs by host group and state.\n# TYPE slicer_vm_running gauge\n")
	counts := map[[3]string]int{}
	for _, g := range d.groups {
		for _, st := range []string{"Running", "Paused", "Stopped"} {
			counts[[3]string{g.Name, "api", st}] = 0
		}
	}
	for _, vm := range d.sortedVMs() {
		n := vm.node()
		counts[[3]string{n.HostGroup, "api", n.Status}]++
	}
	keys := make([][3]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i][:], " ") < strings.Join(keys[j][:], " ") })
	for _, k := range keys {
		fmt.Fprintf(&b, "slicer_vm_running{host_group=%q,api=%q,state=%q} %d\n", k[0], k[1], k[2], counts[k])
	}
	d.metrics.mu.Lock()
	b.WriteString("# HELP slicer_vm_launch_total VM launches by host group and status code.\n# TYPE slicer_vm_launch_total counter\n")
	writeCounter(&b, "slicer_vm_launch_total", "host_group", "code", d.metrics.launches)
	b.WriteString("# HELP slicer_api_requests_total API requests by method and status code.\n# TYPE slicer_api_requests_total counter\n")
	writeCounter(&b, "slicer_api_requests_total", "method", "code", d.metrics.requests)
	d.metrics.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
	return nil
}
