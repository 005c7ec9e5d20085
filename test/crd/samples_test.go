package crd

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/freight"
	"sigs.k8s.io/yaml"
)

// createNamespace stands in for the Project controller, which creates the
// project namespace in a running installation.
func createNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

func TestSamplesApplyAndPrint(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "demo")
	samples := filepath.Join(env.Root, "config", "samples")
	if _, err := env.Kubectl(ctx, nil, "apply", "-f", samples); err != nil {
		t.Fatalf("applying the samples: %v", err)
	}

	// The controller (not running here) resolves the from-upstream
	// Promotion's Freight into status; FREIGHT shows it.
	var promo railyard.Promotion
	if err := env.Client.Get(ctx, key("demo", "staging-from-upstream"), &promo); err != nil {
		t.Fatal(err)
	}
	promo.Status.Freight = &railyard.FreightReference{Name: "744b88ad5ba101bcc7927db4013a38b805df3597", Origin: *promo.Spec.Origin}
	if err := env.Client.Status().Update(ctx, &promo); err != nil {
		t.Fatal(err)
	}

	// Printer columns: the header of each kind, and the values a row shows.
	tests := []struct {
		args    []string
		headers []string
		row     []string
	}{
		{
			args:    []string{"get", "warehouses", "-n", "demo"},
			headers: []string{"NAME", "SHARD", "READY", "STATUS", "AGE"},
			row:     []string{"titiler"},
		},
		{
			// The 40-character Freight name only in the wide listing.
			args:    []string{"get", "warehouses", "-n", "demo", "-o", "wide"},
			headers: []string{"NAME", "SHARD", "LAST FREIGHT", "READY", "STATUS", "AGE"},
			row:     []string{"titiler"},
		},
		{
			args:    []string{"get", "freight", "-n", "demo"},
			headers: []string{"NAME", "ALIAS", "ORIGIN", "AGE"},
			row:     []string{"744b88ad5ba101bcc7927db4013a38b805df3597", "dev-abc123f", "titiler"},
		},
		{
			args:    []string{"get", "freight", "-n", "demo", "-o", "wide"},
			headers: []string{"NAME", "ALIAS", "ORIGIN", "IMAGES", "AGE"},
			row:     []string{"dev-abc123f", "abc123f"},
		},
		{
			args:    []string{"get", "stages", "-n", "demo"},
			headers: []string{"NAME", "SHARD", "CURRENT FREIGHT", "HEALTH", "READY", "STATUS", "AGE"},
			row:     []string{"test", "staging", "prod"},
		},
		{
			args:    []string{"get", "promos", "-n", "demo"},
			headers: []string{"NAME", "STAGE", "FREIGHT", "PHASE", "AGE"},
			row:     []string{"staging-from-upstream", "staging", "744b88ad5ba101bcc7927db4013a38b805df3597"},
		},
		{
			args:    []string{"get", "projects"},
			headers: []string{"NAME", "READY", "STATUS", "AGE"},
			row:     []string{"demo"},
		},
		{
			args:    []string{"get", "projectconfigs", "-n", "demo"},
			headers: []string{"NAME", "READY", "STATUS", "AGE"},
			row:     []string{"demo"},
		},
		{
			args:    []string{"get", "promotask", "-n", "demo"},
			headers: []string{"NAME", "AGE"},
			row:     []string{"promote"},
		},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := env.Kubectl(ctx, nil, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if got := splitColumns(lines[0]); !equal(got, tt.headers) {
				t.Errorf("headers %q, want %q", got, tt.headers)
			}
			for _, want := range tt.row {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}

	// The combined listing users type, and the category listing everything.
	out, err := env.Kubectl(ctx, nil, "get", "warehouses,freight,stages,promotions", "-n", "demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"warehouse.railyard.dev/titiler", "freight.railyard.dev/744b88ad", "stage.railyard.dev/prod", "promotion.railyard.dev/staging-from-upstream"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get warehouses,freight,stages,promotions lacks %q:\n%s", want, out)
		}
	}
	out, err = env.Kubectl(ctx, nil, "get", "railyard", "-A")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"project.railyard.dev/demo", "projectconfig.railyard.dev/demo", "warehouse.railyard.dev/titiler", "promotiontask.railyard.dev/promote", "stage.railyard.dev/test", "freight.railyard.dev/", "promotion.railyard.dev/"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get railyard -A lacks %q:\n%s", want, out)
		}
	}
}

// The sample Freight's name must be its content address, as the CLI and the
// Warehouse controller compute it.
func TestSampleFreightNameIsItsContentAddress(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(env.Root, "config", "samples", "05-freight.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var f railyard.Freight
	if err := yaml.UnmarshalStrict(raw, &f); err != nil {
		t.Fatal(err)
	}
	if want := freight.IDOf(&f); f.Name != want {
		t.Errorf("the sample Freight %s should be named %s", f.Name, want)
	}
}

func TestKargoManifestsApplyAfterChangingAPIVersion(t *testing.T) {
	ctx := context.Background()
	createNamespace(t, "kargo-demo")
	files, err := filepath.Glob(filepath.Join(env.Root, "test", "testdata", "kargo", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Kargo manifests found: %v", err)
	}
	kinds := map[string]bool{}
	kindRe := regexp.MustCompile(`(?m)^kind: (\w+)$`)
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		kargo := string(raw)
		if !strings.Contains(kargo, "apiVersion: kargo.akuity.io/v1alpha1") {
			t.Fatalf("%s is not a Kargo manifest", file)
		}
		for _, m := range kindRe.FindAllStringSubmatch(kargo, -1) {
			kinds[m[1]] = true
		}
		// The only change a Kargo user makes.
		converted := strings.ReplaceAll(kargo, "apiVersion: kargo.akuity.io/v1alpha1", "apiVersion: railyard.dev/v1alpha1")
		if _, err := env.Kubectl(ctx, strings.NewReader(converted), "apply", "--validate=strict", "-f", "-"); err != nil {
			t.Errorf("%s: %v", filepath.Base(file), err)
		}
	}
	for _, kind := range []string{"Project", "ProjectConfig", "Warehouse", "Freight", "Stage", "Promotion", "PromotionTask", "ClusterPromotionTask"} {
		if !kinds[kind] {
			t.Errorf("the Kargo manifests do not cover %s", kind)
		}
	}

	// Deprecated image fields survive as written, for the controller to read
	// as aliases.
	var wh railyard.Warehouse
	if err := env.Client.Get(ctx, key("kargo-demo", "titiler"), &wh); err != nil {
		t.Fatal(err)
	}
	img := wh.Spec.Subscriptions[0].Image
	if img.EffectiveConstraint() != "^1.0.0" || img.AllowTags == "" || len(img.IgnoreTags) != 1 {
		t.Errorf("deprecated image fields were not kept: %+v", img)
	}
}

func splitColumns(header string) []string {
	return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(header), -1)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
