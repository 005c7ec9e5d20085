package expr

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func freightEnv() *Env {
	return &Env{
		Variables: map[string]any{"vars": map[string]any{"wh": "backend"}},
		Freight: railyard.FreightCollection{Freight: map[string]railyard.FreightReference{
			"Warehouse/frontend": {
				Name:    "f1",
				Origin:  railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "frontend"},
				Images:  []railyard.Image{{RepoURL: "ghcr.io/acme/web", Tag: "1.2.3", Digest: "sha256:aaa"}, {RepoURL: "ghcr.io/acme/shared", Tag: "1.0.0"}},
				Commits: []railyard.GitCommit{{RepoURL: "https://github.com/acme/config.git", ID: "c0ffee", Branch: "main", Message: "bump"}},
				Charts:  []railyard.Chart{{RepoURL: "https://charts.acme.io", Name: "web", Version: "0.1.0"}, {RepoURL: "https://charts.acme.io", Name: "db", Version: "2.0.0"}},
			},
			"Warehouse/backend": {
				Name:   "f2",
				Origin: railyard.FreightOrigin{Kind: railyard.FreightOriginKindWarehouse, Name: "backend"},
				Images: []railyard.Image{{RepoURL: "ghcr.io/acme/api", Tag: "2.0.0"}, {RepoURL: "ghcr.io/acme/shared", Tag: "1.1.0"}},
				Charts: []railyard.Chart{{RepoURL: "oci://ghcr.io/acme/charts/api", Version: "3.1.0"}},
			},
		}},
	}
}

func TestFreightFunctions(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"${{ imageFrom('ghcr.io/acme/web').Tag }}", "1.2.3"},
		{"${{ imageFrom('ghcr.io/acme/web').Digest }}", "sha256:aaa"},
		{"${{ imageFrom('ghcr.io/acme/web').RepoURL }}", "ghcr.io/acme/web"},
		{"${{ imageFrom('ghcr.io/acme/missing') }}", nil},
		{"${{ imageFrom('ghcr.io/acme/missing')?.Tag ?? 'latest' }}", "latest"},
		{"${{ imageFrom('ghcr.io/acme/shared', warehouse('backend')).Tag }}", "1.1.0"},
		{"${{ imageFrom('ghcr.io/acme/shared', warehouse(vars.wh)).Tag }}", "1.1.0"},
		{"${{ imageFrom('ghcr.io/acme/web', warehouse('backend')) }}", nil},
		{"${{ imageFrom('ghcr.io/acme/web', warehouse('nope')) }}", nil},
		{"${{ imageFrom('ghcr.io/acme/api', {kind: 'Warehouse', name: 'backend'}).Tag }}", "2.0.0"},
		{"${{ commitFrom('https://github.com/acme/config').ID }}", "c0ffee"},
		{"${{ commitFrom('https://github.com/acme/config.git/').Branch }}", "main"},
		{"${{ commitFrom('https://github.com/acme/config.git').Message }}", "bump"},
		{"${{ commitFrom('https://github.com/acme/config.git').Tag }}", ""},
		{"${{ commitFrom('https://github.com/acme/other.git') }}", nil},
		{"${{ chartFrom('https://charts.acme.io', 'db').Version }}", "2.0.0"},
		{"${{ chartFrom('https://charts.acme.io', 'web', warehouse('frontend')).Name }}", "web"},
		{"${{ chartFrom('oci://ghcr.io/acme/charts/api').Version }}", "3.1.0"},
		{"${{ chartFrom('oci://ghcr.io/acme/charts/api', warehouse('backend')).RepoURL }}", "oci://ghcr.io/acme/charts/api"},
		{"${{ chartFrom('https://charts.acme.io', 'nope') }}", nil},
		{"${{ warehouse('backend') }}", map[string]any{"kind": "Warehouse", "name": "backend"}},
		{"${{ imageFrom('ghcr.io/acme/web') }}", map[string]any{"repoURL": "ghcr.io/acme/web", "tag": "1.2.3", "digest": "sha256:aaa"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := EvaluateString(context.Background(), tc.in, freightEnv())
			if err != nil {
				t.Fatalf("EvaluateString(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("EvaluateString(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}

func TestFreightFunctionErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"${{ imageFrom('ghcr.io/acme/shared') }}", "more than one origin provides it (Warehouse/backend, Warehouse/frontend)"},
		{"${{ imageFrom('ghcr.io/acme/shared') }}", `imageFrom("ghcr.io/acme/shared", warehouse("backend"))`},
		{"${{ imageFrom(42) }}", "repoURL must be a string"},
		{"${{ imageFrom('x', 'y') }}", "origin must come from warehouse(name)"},
		{"${{ commitFrom() }}", "takes one or two arguments"},
		{"${{ chartFrom('a', 'b', warehouse('c'), 1) }}", "one to three arguments"},
		{"${{ warehouse('') }}", "must not be empty"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := EvaluateString(context.Background(), tc.in, freightEnv())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("EvaluateString(%q) error = %v, want it to contain %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestStatusFunctions(t *testing.T) {
	env := &Env{Steps: &StepState{Failed: true, Statuses: map[string]railyard.StepStatus{"clone": railyard.StepStatusSucceeded, "push": railyard.StepStatusErrored}}}
	tests := []struct {
		in   string
		want bool
	}{
		{"${{ success() }}", false},
		{"${{ failure() }}", true},
		{"${{ always() }}", true},
		{"${{ status('clone') == 'Succeeded' }}", true},
		{"${{ status('push') == 'Errored' }}", true},
		{"${{ status('never') == '' }}", true},
	}
	for _, tc := range tests {
		got, err := EvaluateBool(context.Background(), tc.in, env)
		if err != nil {
			t.Fatalf("EvaluateBool(%q): %v", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("EvaluateBool(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSemverFunctions(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"${{ semverParse('1.2.3-rc.1+build5').Major() }}", int64(1)},
		{"${{ semverParse('v1.2.3').Minor() }}", int64(2)},
		{"${{ semverParse('1.2.3').Patch() }}", int64(3)},
		{"${{ semverParse('1.2.3-rc.1+build5').Prerelease() }}", "rc.1"},
		{"${{ semverParse('1.2.3-rc.1+build5').Metadata() }}", "build5"},
		{"${{ semverParse('1.2.3') }}", "1.2.3"},
		{"${{ semverDiff('1.2.3', '2.0.0') }}", "Major"},
		{"${{ semverDiff('1.2.3', '1.3.0') }}", "Minor"},
		{"${{ semverDiff('1.2.3', '1.2.4') }}", "Patch"},
		{"${{ semverDiff('1.2.3', '1.2.3+b') }}", "Metadata"},
		{"${{ semverDiff('1.2.3', '1.2.3-rc.1') }}", "Metadata"},
		{"${{ semverDiff('1.2.3', 'v1.2.3') }}", "None"},
		{"${{ semverDiff('1.2.3', 'latest') }}", "Incomparable"},
	}
	for _, tc := range tests {
		got, err := EvaluateString(context.Background(), tc.in, nil)
		if err != nil {
			t.Fatalf("EvaluateString(%q): %v", tc.in, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("EvaluateString(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

// countingLookup counts reads to check the per-evaluation cache.
type countingLookup struct {
	secrets map[string]map[string]string
	reads   int
	panics  bool
}

func (l *countingLookup) Secret(_ context.Context, name string) (map[string]string, error) {
	l.reads++
	if l.panics {
		panic("boom")
	}
	if name == "broken" {
		return nil, errors.New("connection refused")
	}
	return l.secrets[name], nil
}

func (l *countingLookup) ConfigMap(context.Context, string) (map[string]string, error) {
	return map[string]string{"region": "eu"}, nil
}

func TestDataFunctionsCacheAndErrors(t *testing.T) {
	l := &countingLookup{secrets: map[string]map[string]string{"token": {"value": "s3cr3t"}}}
	env := &Env{Data: l}
	got, err := Evaluate(context.Background(), map[string]any{
		"a": "${{ secret('token').value }}",
		"b": "Bearer ${{ secret('token').value }}",
		"c": "${{ secret('missing')?.value ?? 'none' }}",
		"d": "${{ configMap('settings').region }}",
	}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": "s3cr3t", "b": "Bearer s3cr3t", "c": "none", "d": "eu"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if l.reads != 2 {
		t.Errorf("Secret read %d times, want 2 (token once, missing once)", l.reads)
	}

	if _, err := EvaluateString(context.Background(), "${{ secret('broken') }}", env); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("lookup error not reported: %v", err)
	}
	l.panics = true
	_, err = EvaluateString(context.Background(), "${{ secret('token') }}", env)
	if err == nil || !errors.Is(err, ErrExpression) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("panic in a function not turned into an expression error: %v", err)
	}
}

func TestClientLookup(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "creds"}, Data: map[string][]byte{"token": []byte("t0k")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "foreign"}, Data: map[string][]byte{"token": []byte("no")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "settings"}, Data: map[string]string{"env": "dev"}},
	).Build()
	env := &Env{Data: ClientLookup{Reader: c, Namespace: "demo"}}
	got, err := Evaluate(context.Background(), []any{
		"${{ secret('creds').token }}",
		"${{ configMap('settings').env }}",
		"${{ secret('foreign')?.token }}",
		"${{ configMap('missing') }}",
	}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"t0k", "dev", nil, map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestEvalBool(t *testing.T) {
	env := freightEnv()
	tests := []struct {
		in      string
		want    bool
		wantErr string
	}{
		{in: "imageFrom('ghcr.io/acme/web').Tag == '1.2.3'", want: true},
		{in: "semverDiff(imageFrom('ghcr.io/acme/web').Tag, '1.2.0') == 'Patch'", want: true},
		{in: "imageFrom('ghcr.io/acme/api').Tag matches '^1\\\\.'", want: false},
		{in: "commitFrom('https://github.com/acme/config.git')?.ID != nil", want: true},
		{in: "imageFrom('ghcr.io/acme/web').Tag", wantErr: "not a bool"},
		{in: "imageFrom(", wantErr: "does not compile"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := EvalBool(context.Background(), tc.in, env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("EvalBool(%q) error = %v, want %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("EvalBool(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}
