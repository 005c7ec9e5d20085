// Package helmtest serves real Helm charts for tests: a classic chart
// repository over HTTP and charts pushed to an in-process OCI registry.
// Everything listens on 127.0.0.1 and is closed when the test ends.
//
// Charts:
//
//	BuildChart(ChartSpec{Name: "app", Version: "1.2.3"}) // deterministic .tgz
//
// builds an archive with <name>/Chart.yaml (apiVersion v2), values.yaml
// (DefaultValues unless ChartSpec.Values) and templates/ (a ConfigMap,
// DefaultTemplate, unless ChartSpec.Templates), renderable by `helm template`
// and kustomize's helmCharts. Digest returns the sha256 Helm records.
//
// Classic repository:
//
//	repo := helmtest.NewRepo(t, helmtest.WithBasicAuth("user", "pass"))
//	repo.AddChart(helmtest.ChartSpec{Name: "app", Version: "1.0.0"})
//	repoURL := repo.URL() // http://127.0.0.1:PORT
//
// It serves /index.yaml (versions newest first, with digest and absolute
// urls) and /charts/<name>-<version>.tgz. index.yaml carries an ETag and a
// Last-Modified and answers If-None-Match / If-Modified-Since with 304;
// AddChart (callable at any time, e.g. to publish a new version mid-test)
// changes both. Options: WithBasicAuth, WithTLS (self-signed; Repo.Client
// trusts it), WithoutETag, WithoutLastModified. Fault injection: SetRawIndex
// serves arbitrary bytes as index.yaml, FailNext(n, status, retryAfter)
// fails the next n requests. Stats/ResetStats count requests per path, index
// bodies served (IndexDownloads), 304s (NotModified) and 401s.
//
// OCI:
//
//	reg := helmtest.NewOCIRegistry(t) // optionally WithOCIBasicAuth
//	repoURL := reg.PushChart("charts", helmtest.ChartSpec{Name: "app", Version: "1.0.0+b1"})
//	// repoURL == "oci://127.0.0.1:PORT/charts/app", tag "1.0.0_b1"
//
// pushes a Helm OCI artifact (config application/vnd.cncf.helm.config.v1+json,
// one layer application/vnd.cncf.helm.chart.content.v1.tar+gzip), as `helm
// push` does, to go-containerregistry's pkg/registry. The package-level
// PushChart does the same against any registry given remote options (auth,
// transport). The registry speaks plain HTTP, which Helm and
// go-containerregistry use for 127.0.0.1 (Helm may need --plain-http).
package helmtest
