package helmtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"sigs.k8s.io/yaml"
)

func TestBuildChart(t *testing.T) {
	spec := ChartSpec{Name: "app", Version: "1.2.3", Values: "message: hi\n"}
	a, err := BuildChart(spec)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BuildChart(spec)
	if !bytes.Equal(a, b) {
		t.Error("BuildChart is not deterministic")
	}
	files := untar(t, a)
	for _, want := range []string{"app/Chart.yaml", "app/values.yaml", "app/templates/configmap.yaml"} {
		if _, ok := files[want]; !ok {
			t.Errorf("archive lacks %s (has %v)", want, keys(files))
		}
	}
	var meta map[string]string
	if err := yaml.Unmarshal([]byte(files["app/Chart.yaml"]), &meta); err != nil {
		t.Fatal(err)
	}
	if meta["name"] != "app" || meta["version"] != "1.2.3" || meta["apiVersion"] != "v2" {
		t.Errorf("Chart.yaml = %v", meta)
	}
	if files["app/values.yaml"] != "message: hi\n" {
		t.Errorf("values.yaml = %q", files["app/values.yaml"])
	}
	if _, err := BuildChart(ChartSpec{Name: "app"}); err == nil {
		t.Error("a chart without version was built")
	}
}

func TestRepo(t *testing.T) {
	repo := NewRepo(t, WithBasicAuth("u", "p"))
	repo.AddChart(ChartSpec{Name: "app", Version: "1.0.0"})
	repo.AddChart(ChartSpec{Name: "app", Version: "1.10.0"})
	repo.AddChart(ChartSpec{Name: "app", Version: "1.2.0"})

	if resp := get(t, repo.URL()+"/index.yaml", nil, false); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous request: %d, want 401", resp.StatusCode)
	}
	resp := get(t, repo.URL()+"/index.yaml", nil, true)
	body, _ := io.ReadAll(resp.Body)
	var idx indexFile
	if err := yaml.Unmarshal(body, &idx); err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, e := range idx.Entries["app"] {
		versions = append(versions, e.Version)
	}
	if strings.Join(versions, ",") != "1.10.0,1.2.0,1.0.0" {
		t.Errorf("index versions = %v, want newest first", versions)
	}
	top := idx.Entries["app"][0]
	archive, _ := io.ReadAll(get(t, top.URLs[0], nil, true).Body)
	if Digest(archive) != top.Digest || repo.ChartDigest("app", "1.10.0") != top.Digest {
		t.Error("index digest does not match the served archive")
	}

	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatal("missing validators")
	}
	if r := get(t, repo.URL()+"/index.yaml", http.Header{"If-None-Match": {etag}}, true); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", r.StatusCode)
	}
	if r := get(t, repo.URL()+"/index.yaml", http.Header{"If-Modified-Since": {lm}}, true); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d, want 304", r.StatusCode)
	}
	repo.AddChart(ChartSpec{Name: "app", Version: "2.0.0"})
	for _, h := range []http.Header{{"If-None-Match": {etag}}, {"If-Modified-Since": {lm}}} {
		if r := get(t, repo.URL()+"/index.yaml", h, true); r.StatusCode != http.StatusOK {
			t.Errorf("%v after a change: %d, want 200", h, r.StatusCode)
		}
	}
	s := repo.Stats()
	if s.IndexDownloads != 3 || s.NotModified != 2 || s.Unauthorized != 1 {
		t.Errorf("stats = %+v", s)
	}

	repo.FailNext(1, http.StatusTooManyRequests, "3")
	if r := get(t, repo.URL()+"/index.yaml", nil, true); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "3" {
		t.Errorf("FailNext: %d %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	repo.SetRawIndex([]byte("garbage"))
	if b, _ := io.ReadAll(get(t, repo.URL()+"/index.yaml", nil, true).Body); string(b) != "garbage" {
		t.Errorf("SetRawIndex: served %q", b)
	}
}

func TestOCIRegistryPushChart(t *testing.T) {
	reg := NewOCIRegistry(t, WithOCIBasicAuth("u", "p"))
	repoURL := reg.PushChart("charts", ChartSpec{Name: "app", Version: "1.0.0+build.1"})
	if want := "oci://" + reg.Host() + "/charts/app"; repoURL != want {
		t.Fatalf("repoURL = %q, want %q", repoURL, want)
	}
	ref, err := name.ParseReference(strings.TrimPrefix(repoURL, "oci://") + ":1.0.0_build.1")
	if err != nil {
		t.Fatal(err)
	}
	auth := remote.WithAuth(&authn.Basic{Username: "u", Password: "p"})
	desc, err := remote.Get(ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != HelmConfigMediaType || len(m.Layers) != 1 || m.Layers[0].MediaType != HelmChartMediaType {
		t.Fatalf("manifest = %s", desc.Manifest)
	}
	layer, err := remote.Layer(ref.Context().Digest(m.Layers[0].Digest.String()), auth)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	archive, _ := io.ReadAll(rc)
	if _, ok := untar(t, archive)["app/Chart.yaml"]; !ok {
		t.Error("chart layer is not the chart archive")
	}
	if _, err := remote.Get(ref); err == nil {
		t.Error("anonymous pull succeeded against an authenticated registry")
	}
}

func get(t *testing.T, url string, h http.Header, auth bool) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if auth {
		req.SetBasicAuth("u", "p")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func untar(t *testing.T, archive []byte) map[string]string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[hdr.Name] = string(b)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
