package demo

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/railyard-dev/railyard/internal/helmtest"
)

// chartName and chartVersion are the demo's one Helm chart.
const (
	chartName    = "demo-chart"
	chartVersion = "0.1.0"
)

// helmRepo is a classic Helm chart repository on 127.0.0.1 serving
// /index.yaml and /charts/<name>-<version>.tgz for one chart.
type helmRepo struct {
	url string
	srv *http.Server
}

func startHelmRepo() (*helmRepo, error) {
	chart, err := helmtest.BuildChart(helmtest.ChartSpec{Name: chartName, Version: chartVersion})
	if err != nil {
		return nil, fmt.Errorf("building the demo chart: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the Helm repository: %w", err)
	}
	h := &helmRepo{url: "http://" + l.Addr().String()}
	archive := fmt.Sprintf("/charts/%s-%s.tgz", chartName, chartVersion)
	index, err := helmIndex(h.url+archive, helmtest.Digest(chart))
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-yaml")
		_, _ = w.Write(index)
	})
	mux.HandleFunc("GET "+archive, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		_, _ = w.Write(chart)
	})
	h.srv = &http.Server{Handler: mux}
	go func() { _ = h.srv.Serve(l) }()
	return h, nil
}

func (h *helmRepo) close() { _ = h.srv.Close() }

// helmIndex is index.yaml with the fields Helm and the chart discovery read.
func helmIndex(url, digest string) ([]byte, error) {
	now := time.Now().UTC()
	type entry struct {
		APIVersion string    `json:"apiVersion"`
		Name       string    `json:"name"`
		Version    string    `json:"version"`
		AppVersion string    `json:"appVersion"`
		Created    time.Time `json:"created"`
		Digest     string    `json:"digest"`
		URLs       []string  `json:"urls"`
	}
	b, err := yaml.Marshal(map[string]any{
		"apiVersion": "v1",
		"generated":  now,
		"entries": map[string][]entry{chartName: {{
			APIVersion: "v2", Name: chartName, Version: chartVersion, AppVersion: chartVersion,
			Created: now, Digest: digest, URLs: []string{url},
		}}},
	})
	if err != nil {
		return nil, fmt.Errorf("writing the Helm index: %w", err)
	}
	return b, nil
}
