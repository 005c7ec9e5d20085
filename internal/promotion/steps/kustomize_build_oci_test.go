package steps

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/railyard-dev/railyard/internal/helmtest"
	"github.com/railyard-dev/railyard/internal/registrytest"
)

// TestKustomizeBuildHelmChartsOCI inflates a chart pulled from an OCI
// registry. Kustomize runs `helm pull oci://...` without --plain-http, so the
// registry serves TLS and helm (a subprocess) trusts its certificate through
// SSL_CERT_FILE, which Go's crypto/x509 reads on Linux.
func TestKustomizeBuildHelmChartsOCI(t *testing.T) {
	helmBinary(t)
	reg := registrytest.New(t, registrytest.WithTLS())
	push := remote.WithTransport(reg.Client().Transport)
	for _, spec := range []helmtest.ChartSpec{
		{Name: "app", Version: "1.0.0", Values: "message: from-v1\n"},
		{Name: "app", Version: "2.0.0", Values: "message: from-v2\n"},
	} {
		if _, err := helmtest.PushChart(context.Background(), reg.Repo("charts/"+spec.Name), spec, push); err != nil {
			t.Fatal(err)
		}
	}
	trusted := writeServerCert(t, reg)
	untrusted := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(untrusted, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	kustomization := `helmCharts:
- name: app
  repo: oci://` + reg.Repo("charts") + `
  version: 1.0.0
  releaseName: rel
`

	tests := []struct {
		name     string
		certFile string
		wantIn   []string // in the output on success
		wantErr  []string // in the error on failure
	}{
		{
			name:     "trusted certificate",
			certFile: trusted,
			wantIn:   []string{"kind: ConfigMap", "name: rel-app", "chartVersion: 1.0.0", "message: from-v1"},
		},
		{
			// Proves helm really spoke TLS to the registry.
			name:     "untrusted certificate",
			certFile: untrusted,
			wantErr:  []string{"app", "certificate signed by unknown authority"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SSL_CERT_FILE", tc.certFile)
			t.Setenv("SSL_CERT_DIR", t.TempDir())
			reg.ResetCounts()
			dir := workDir(t, map[string]string{"app/kustomization.yaml": kustomization})
			sc := stepContext(dir, map[string]any{"path": "app", "outPath": "out/all.yaml"})
			if len(tc.wantErr) > 0 {
				_ = wantFailure(t, KustomizeBuild{}, sc, tc.wantErr...) // it fails the test itself
				return
			}
			run(t, KustomizeBuild{}, sc)
			got := string(readFile(t, filepath.Join(dir, "out", "all.yaml")))
			for _, w := range tc.wantIn {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			if c := reg.Counts(); c.BlobGet == 0 {
				t.Errorf("helm fetched no blob from the registry: %+v", c)
			}
		})
	}
}

// writeServerCert writes the registry's TLS certificate, as its server
// presents it, to a PEM file and returns the path.
func writeServerCert(t *testing.T, reg *registrytest.Registry) string {
	t.Helper()
	tr, ok := reg.Client().Transport.(*http.Transport)
	if !ok || tr.TLSClientConfig == nil {
		t.Fatalf("registry client has no TLS config: %T", reg.Client().Transport)
	}
	conn, err := tls.Dial("tcp", reg.Host, tr.TLSClientConfig.Clone())
	if err != nil {
		t.Fatalf("TLS handshake with the registry: %v", err)
	}
	defer func() { _ = conn.Close() }()
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		t.Fatal("registry presented no certificate")
	}
	p := filepath.Join(t.TempDir(), "registry.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs[0].Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
