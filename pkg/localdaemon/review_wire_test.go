package localdaemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/slicer-cli/slicer/pkg/client"
)

// TestStatsOfStoppedVMHasNoNullSnapshot: openapi.yaml types snapshot as an
// object (not nullable); a stopped VM has none, so the key is left out
// rather than sent as null (the seed SDK decodes both to a nil pointer).
func TestStatsOfStoppedVMHasNoNullSnapshot(t *testing.T) {
	d, c := setup(t)
	vm := newVM(t, c, client.SlicerCreateNodeRequest{Persistent: true})
	if err := c.Shutdown(ctxT(t), vm, &client.SlicerShutdownRequest{Action: "shutdown"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/node/" + vm + "/stats", "/nodes/stats"} {
		req, _ := http.NewRequest("GET", "http://unix"+path, nil)
		raw, _ := io.ReadAll(doRaw(t, d, req).Body)
		var objs []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &objs); err != nil || len(objs) != 1 {
			t.Fatalf("GET %s: %v %s", path, err, raw)
		}
		if s, ok := objs[0]["snapshot"]; ok && string(s) == "null" {
			t.Errorf("GET %s: snapshot is null: %s", path, raw)
		}
		var msg string
		if err := json.Unmarshal(objs[0]["error"], &msg); err != nil || msg == "" {
			t.Errorf("GET %s: want an error text for a stopped VM: %s", path, raw)
		}
	}
}
