package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kargoTestdata joins the shared Kargo manifests into one stream.
func kargoTestdata(t *testing.T) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(env.Root, "test", "testdata", "kargo", "*.yaml"))
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no Kargo manifests in test/testdata/kargo")
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		must(t, err)
		b.WriteString("---\n")
		b.Write(data)
	}
	return b.String()
}

// TestConvertKargoGolden converts every kind and the deprecated fields, and
// checks that the API server accepts the result under Railyard's CRDs.
func TestConvertKargoGolden(t *testing.T) {
	in := kargoTestdata(t)
	var out, errOut bytes.Buffer
	opts := NewOptions(&out, &errOut)
	opts.In = strings.NewReader(in)
	if code := run(testCtx, opts, []string{"convert", "-f", "-"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	golden(t, "convert/kargo.golden", out.String())
	golden(t, "convert/kargo.stderr.golden", errOut.String())
	for _, gone := range []string{"apiVersion: kargo.akuity.io", "kargo.akuity.io/alias", "kargo.akuity.io/refresh"} {
		if strings.Contains(out.String(), gone) {
			t.Errorf("output still contains %q", gone)
		}
	}
	if !strings.Contains(out.String(), "# A Kargo project as a Kargo user writes it today") {
		t.Error("comments were lost")
	}

	if _, err := env.Kubectl(testCtx, nil, "create", "namespace", "kargo-demo"); err != nil {
		t.Fatal(err)
	}
	if res, err := env.Kubectl(testCtx, strings.NewReader(out.String()), "apply", "--dry-run=server", "-f", "-"); err != nil {
		t.Fatalf("the API server refused the converted manifests: %v\n%s", err, res)
	}
}

func TestConvertReportsUnsupported(t *testing.T) {
	path := filepath.Join("testdata", "convert", "unsupported.yaml")
	r := railyardCLI("default", "convert", "-f", path).mustSucceed(t)
	want := []string{
		"line 8: unsupported: Warehouse mixed: annotation kargo.akuity.io/color has no meaning in Railyard yet",
		"line 14: unsupported: Warehouse mixed: spec.subscriptions[1].s3: generic (plug-in) subscriptions are not supported",
		"line 23: unsupported: Stage fleet: spec.targets: target-aware Stages are not supported",
		"line 44: unsupported: ProjectConfig kargo-demo: spec.promotionPolicies[0].autoRollback: auto-rollback is not supported",
		"line 46: unsupported: ProjectConfig kargo-demo: spec.promotionWindows: promotion windows are not supported",
		"line 48: unsupported: ProjectConfig kargo-demo: spec.freightLinks: UI deep links are not supported",
		"line 57: unsupported: Project legacy: spec: not supported by Railyard yet",
		"line 65: note: Freight generic: Railyard names this content",
		"line 70: unsupported: Freight generic: artifacts: generic artifacts are not supported",
		"line 82: unsupported: Promotion fleet.01j8z5k3qv9x2m4n6p8r0t2v4w.generic: spec.target: Promotions for Targets (PromotionRequest) are not supported",
		"line 84: unsupported: ClusterConfig cluster: kind ClusterConfig is not supported by Railyard yet",
		"line 91: unsupported: Target eu-1: kind Target is not supported",
		"line 97: unsupported: PromotionRequest fleet-rollout: kind PromotionRequest is not supported",
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(lines), len(want), r.stderr)
	}
	for i, w := range want {
		if w = path + ": " + w; !strings.HasPrefix(lines[i], w) {
			t.Errorf("finding %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	for _, keep := range []string{
		"kargo.akuity.io/authorized-stage: kargo-demo:test",
		"kargo.akuity.io/cred-type: git",
		"apiVersion: kargo.akuity.io/v1alpha1\nkind: ClusterConfig",
		"railyard.dev/color: red # UI only",
		"# Argo CD Applications and Secrets keep their Kargo keys",
	} {
		if !strings.Contains(r.stdout, keep) {
			t.Errorf("output does not contain %q", keep)
		}
	}
}

func TestConvertErrors(t *testing.T) {
	railyardCLI("default", "convert").mustFail(t, "-f FILE is required")
	railyardCLI("default", "convert", "-f", "testdata/convert/missing.yaml").mustFail(t, "reading testdata/convert/missing.yaml")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	must(t, os.WriteFile(bad, []byte("a: [1,\n"), 0o600))
	railyardCLI("default", "convert", "-f", bad).mustFail(t, "parsing YAML")
}
