package manager_test

import (
	"bufio"
	"os"
	"sort"
	"strings"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/expr"
	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// compatRow is a row of a table in docs/kargo-compatibility.md.
type compatRow struct {
	status      string   // works, differs, not supported
	unsupported []string // config fields Railyard does not take
}

// compatTable reads the table under heading from the compatibility page:
// first column a `name`, then the status, then (for steps) the fields not
// supported.
func compatTable(t *testing.T, heading string) map[string]compatRow {
	t.Helper()
	f, err := os.Open("../../docs/kargo-compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	rows := map[string]compatRow{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## "+heading
			continue
		}
		if !in || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		name := strings.Trim(strings.TrimSpace(cells[0]), "`")
		row := compatRow{status: strings.TrimSpace(cells[1])}
		if len(cells) > 3 {
			for _, fld := range strings.Split(cells[2], ",") {
				if fld = strings.Trim(strings.TrimSpace(fld), "`"); fld != "" && fld != "—" {
					row.unsupported = append(row.unsupported, fld)
				}
			}
		}
		rows[name] = row
	}
	if len(rows) == 0 {
		t.Fatalf("no table under %q in docs/kargo-compatibility.md", heading)
	}
	return rows
}

// kargoStepFields reads Kargo's documented configuration fields per step.
func kargoStepFields(t *testing.T) map[string][]string {
	return readFieldLists(t, "../../test/testdata/kargo/step-config-fields.txt")
}

// readFieldLists reads "name: field field ..." lines, skipping comments.
func readFieldLists(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, fields, _ := strings.Cut(line, ":")
		out[name] = strings.Fields(fields)
	}
	return out
}

var statuses = map[string]bool{"works": true, "differs": true, "not supported": true}

// TestStepConformance keeps the steps table of docs/kargo-compatibility.md
// true: every open-source Kargo step and every Railyard step has a row;
// a step marked works or differs is registered and takes every Kargo field
// not listed as unsupported; a step marked not supported is not registered.
func TestStepConformance(t *testing.T) {
	reg := manager.NewStepRegistry(manager.Options{})
	rows := compatTable(t, "Promotion steps")
	kargo := kargoStepFields(t)
	for step, fields := range kargo {
		row, ok := rows[step]
		if !ok {
			t.Errorf("Kargo step %s has no row", step)
			continue
		}
		if !statuses[row.status] {
			t.Errorf("step %s: status %q is not one of works, differs, not supported", step, row.status)
		}
		runner, registered := reg.Lookup(step)
		if row.status == "not supported" {
			if registered {
				t.Errorf("step %s is registered but marked not supported", step)
			}
			continue
		}
		if !registered {
			t.Errorf("step %s is marked %s but not registered", step, row.status)
			continue
		}
		if row.status == "works" && len(row.unsupported) > 0 {
			t.Errorf("step %s is marked works but lists unsupported fields %v", step, row.unsupported)
		}
		schema, ok := runner.(promotion.ConfigSchema)
		if !ok {
			if len(fields) > 0 {
				t.Errorf("step %s declares no configuration type (promotion.ConfigSchema)", step)
			}
			continue
		}
		unsupported := map[string]bool{}
		for _, f := range row.unsupported {
			unsupported[f] = true
		}
		for _, f := range fields {
			if !unsupported[f] && !promotion.HasConfigField(schema, f) {
				t.Errorf("step %s does not take Kargo's field %s; support it or list it as not supported", step, f)
			}
		}
	}
	for _, name := range reg.Names() {
		if _, ok := rows[name]; !ok {
			t.Errorf("registered step %s has no row", name)
		}
	}
}

// kargoFunctions are the expression functions of Kargo v1.11.2's reference
// (docs/docs/50-user-guide/60-reference-docs/40-expressions.md).
var kargoFunctions = []string{
	"quote", "unsafeQuote", "asYAML", "asJSON", "configMap", "sharedConfigMap", "secret", "sharedSecret",
	"warehouse", "freightMetadata", "stageMetadata", "commitFrom", "imageFrom", "chartFrom",
	"success", "failure", "always", "status", "semverParse", "semverDiff",
}

// TestFunctionConformance keeps the functions table true: every Kargo and
// every Railyard function has a row, and what is marked works or differs
// exists.
func TestFunctionConformance(t *testing.T) {
	rows := compatTable(t, "Expression functions")
	have := map[string]bool{}
	for _, n := range expr.FunctionNames() {
		have[n] = true
		if _, ok := rows[n]; !ok {
			t.Errorf("function %s has no row", n)
		}
	}
	names := append([]string(nil), kargoFunctions...)
	sort.Strings(names)
	for _, n := range names {
		row, ok := rows[n]
		switch {
		case !ok:
			t.Errorf("Kargo function %s has no row", n)
		case !statuses[row.status]:
			t.Errorf("function %s: status %q", n, row.status)
		case row.status != "not supported" && !have[n]:
			t.Errorf("function %s is marked %s but does not exist", n, row.status)
		case row.status == "not supported" && have[n]:
			t.Errorf("function %s exists but is marked not supported", n)
		}
	}
}

// TestContextConformance: every ctx variable Kargo documents exists.
func TestContextConformance(t *testing.T) {
	ctx := expr.PromotionContext{}.Map()
	for _, path := range []string{
		"uiBaseUrl", "project", "stage", "promotion", "targetFreight.name", "targetFreight.alias",
		"targetFreight.origin.name", "meta.promotion.actor", "meta.promotion.rollback", "meta.step.alias",
	} {
		if v, ok := lookupPath(ctx, path); !ok {
			t.Errorf("ctx.%s does not exist", path)
		} else if _, isMap := v.(map[string]any); isMap {
			t.Errorf("ctx.%s is an object, not a value", path)
		}
	}
}

func lookupPath(m map[string]any, path string) (any, bool) {
	var v any = m
	for _, part := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = mm[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// TestKeyConformance keeps the labels and annotations table true: every key
// Railyard honours is marked works, and nothing else is.
func TestKeyConformance(t *testing.T) {
	rows := compatTable(t, "Labels and annotations")
	honoured := map[string]bool{}
	for _, k := range railyard.KargoKeysHonoured {
		honoured[k] = true
		if rows[k].status != "works" {
			t.Errorf("%s is honoured but its row says %q", k, rows[k].status)
		}
	}
	for k, row := range rows {
		if !statuses[row.status] {
			t.Errorf("%s: status %q", k, row.status)
		}
		if row.status == "works" && !honoured[k] {
			t.Errorf("%s is marked works but is not in KargoKeysHonoured", k)
		}
	}
	if len(rows) < 25 {
		t.Errorf("only %d keys listed; Kargo v1.11 has 26", len(rows))
	}
}
