package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGetArtifacts(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	seedFreight(t, ns, "titiler", "calm-otter", "v1.1.0", "1.3.0", commitOld)

	table := railyardCLI(ns, "get", "artifacts", "titiler").mustSucceed(t).stdout
	lines := strings.Split(strings.TrimSpace(table), "\n")
	wantRows := []struct{ contains, freight string }{
		{"KIND", "FREIGHT"},
		{"v1.2.0", "-"},
		{"v1.1.0", "calm-otter"},
		{"v1.0.0", "-"},
		{"1.4.0", "-"},
		{"1.3.0", "calm-otter"},
		{"c2c2c2c", "-"},
		{"b1b1b1b", "calm-otter"},
	}
	if len(lines) != len(wantRows) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(wantRows), table)
	}
	for i, w := range wantRows {
		fields := strings.Fields(lines[i])
		if !strings.Contains(lines[i], w.contains) || fields[len(fields)-1] != w.freight {
			t.Errorf("line %d = %q, want it to contain %q and end in %q", i, lines[i], w.contains, w.freight)
		}
	}

	var rows []artifactRow
	out := railyardCLI(ns, "get", "artifacts", "titiler", "-o", "json").mustSucceed(t).stdout
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	if rows[0].Version != "v1.2.0" || rows[0].Digest != digestOf("v1.2.0") || rows[1].Freight[0] != "calm-otter" {
		t.Errorf("json rows = %+v", rows[:2])
	}
	if !strings.Contains(railyardCLI(ns, "get", "artifacts", "titiler", "-o", "yaml").mustSucceed(t).stdout, "kind: chart") {
		t.Error("-o yaml has no chart row")
	}
}

func TestGetArtifactsErrors(t *testing.T) {
	ns := newNamespace(t)
	seedWarehouse(t, ns, "titiler")
	must(t, k8s.Create(testCtx, newBareWarehouse(ns, "fresh")))

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown warehouse lists the others", []string{"get", "artifacts", "nope"}, `Warehouse "nope" not found in namespace ` + ns + "; it has: fresh, titiler"},
		{"nothing discovered hints at refresh", []string{"get", "artifacts", "fresh"}, "railyard refresh warehouse fresh --wait"},
		{"bad output format", []string{"get", "artifacts", "titiler", "-o", "wide"}, `unknown output format "wide"`},
		{"missing argument", []string{"get", "artifacts"}, "expects the name of a Warehouse"},
		{"--project and -n disagree", []string{"get", "artifacts", "titiler", "--project", "other"}, "--namespace \"" + ns + "\" and --project \"other\" disagree"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			railyardCLI(ns, tt.args...).mustFail(t, tt.wantErr)
		})
	}
}
