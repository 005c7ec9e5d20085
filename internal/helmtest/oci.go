package helmtest

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of a Helm chart stored as an OCI artifact.
const (
	HelmConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	HelmChartMediaType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// OCIRegistry is go-containerregistry's in-process registry on 127.0.0.1
// (plain HTTP, which go-containerregistry and Helm use for 127.0.0.1).
type OCIRegistry struct {
	t        testing.TB
	srv      *httptest.Server
	username string
	password string
	requests atomic.Int64
}

// OCIOption configures an OCIRegistry.
type OCIOption func(*OCIRegistry)

// WithOCIBasicAuth makes every request require HTTP basic auth.
func WithOCIBasicAuth(username, password string) OCIOption {
	return func(r *OCIRegistry) { r.username, r.password = username, password }
}

// NewOCIRegistry starts an empty registry; it is closed when the test ends.
func NewOCIRegistry(t testing.TB, opts ...OCIOption) *OCIRegistry {
	t.Helper()
	r := &OCIRegistry{t: t}
	for _, o := range opts {
		o(r)
	}
	reg := registry.New(registry.Logger(log.New(discard{}, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if r.username != "" || r.password != "" {
			u, p, ok := req.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(r.username)) != 1 ||
				subtle.ConstantTimeCompare([]byte(p), []byte(r.password)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="helmtest"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// Host is host:port of the registry, e.g. 127.0.0.1:40123.
func (r *OCIRegistry) Host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// Requests counts every request the registry received.
func (r *OCIRegistry) Requests() int64 { return r.requests.Load() }

// PushChart pushes spec as a Helm OCI artifact to <host>/<namespace>/<name>,
// like `helm push chart.tgz oci://<host>/<namespace>`, tagged with the
// version ("+" written as "_"). It returns the chart's repoURL,
// "oci://<host>/<namespace>/<name>". Failures call t.Fatal.
func (r *OCIRegistry) PushChart(namespace string, spec ChartSpec) string {
	r.t.Helper()
	repo := strings.Trim(r.Host()+"/"+strings.Trim(namespace, "/"), "/") + "/" + spec.Name
	var opts []remote.Option
	if r.username != "" || r.password != "" {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: r.username, Password: r.password}))
	}
	if _, err := PushChart(context.Background(), repo, spec, opts...); err != nil {
		r.t.Fatal(err)
	}
	return "oci://" + repo
}

// PushChart pushes spec as a Helm OCI artifact (OCI image manifest, config
// HelmConfigMediaType holding Chart.yaml as JSON, one HelmChartMediaType
// layer holding the .tgz) to repo (host/path/name, no scheme) under the tag
// version with "+" replaced by "_". It works against any registry; opts may
// carry auth or a transport. It returns the manifest digest.
func PushChart(ctx context.Context, repo string, spec ChartSpec, opts ...remote.Option) (v1.Hash, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return v1.Hash{}, err
	}
	archive, err := BuildChart(s)
	if err != nil {
		return v1.Hash{}, err
	}
	ref, err := name.NewTag(repo + ":" + strings.ReplaceAll(s.Version, "+", "_"))
	if err != nil {
		return v1.Hash{}, fmt.Errorf("helmtest: invalid reference for %s %s: %w", repo, s.Version, err)
	}
	config, err := json.Marshal(map[string]string{
		"apiVersion": "v2", "name": s.Name, "version": s.Version,
		"appVersion": s.AppVersion, "description": s.Description, "type": "application",
	})
	if err != nil {
		return v1.Hash{}, fmt.Errorf("helmtest: encoding config: %w", err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	configLayer := static.NewLayer(config, HelmConfigMediaType)
	chartLayer := static.NewLayer(archive, HelmChartMediaType)
	var descs []v1.Descriptor
	for _, l := range []v1.Layer{configLayer, chartLayer} {
		if err := remote.WriteLayer(ref.Context(), l, opts...); err != nil {
			return v1.Hash{}, fmt.Errorf("helmtest: uploading blob to %s: %w", repo, err)
		}
		d, err := descriptor(l)
		if err != nil {
			return v1.Hash{}, err
		}
		descs = append(descs, d)
	}
	manifest := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        descs[0],
		Layers:        descs[1:],
		Annotations: map[string]string{
			"org.opencontainers.image.title":   s.Name,
			"org.opencontainers.image.version": s.Version,
		},
	}
	raw, err := json.Marshal(manifest)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("helmtest: encoding manifest: %w", err)
	}
	if err := remote.Put(ref, rawManifest(raw), opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("helmtest: pushing manifest %s: %w", ref, err)
	}
	h, _, err := v1.SHA256(strings.NewReader(string(raw)))
	if err != nil {
		return v1.Hash{}, fmt.Errorf("helmtest: hashing manifest: %w", err)
	}
	return h, nil
}

func descriptor(l v1.Layer) (v1.Descriptor, error) {
	d, err := l.Digest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("helmtest: digest: %w", err)
	}
	size, err := l.Size()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("helmtest: size: %w", err)
	}
	mt, err := l.MediaType()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("helmtest: media type: %w", err)
	}
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d}, nil
}

// rawManifest is a pre-encoded OCI image manifest for remote.Put.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
