package helmtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// ChartSpec describes a chart archive to build. Only Name and Version are
// required; the rest have working defaults so `helm template` renders it.
type ChartSpec struct {
	Name    string
	Version string
	// AppVersion defaults to Version.
	AppVersion string
	// Description defaults to "Test chart <name>".
	Description string
	// Values is the values.yaml content; defaults to DefaultValues.
	Values string
	// Templates maps a file name under templates/ to its content; defaults to
	// {"configmap.yaml": DefaultTemplate}.
	Templates map[string]string
}

// DefaultValues is the values.yaml of a chart without explicit Values.
const DefaultValues = "message: hello\nreplicaCount: 1\n"

// DefaultTemplate renders a ConfigMap naming the release, chart version and
// .Values.message, so a test can see which version and values were rendered.
const DefaultTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
data:
  chartVersion: {{ .Chart.Version | quote }}
  message: {{ .Values.message | quote }}
`

// archiveTime is fixed so the same spec always yields the same bytes (and
// digest).
var archiveTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (s ChartSpec) withDefaults() (ChartSpec, error) {
	if s.Name == "" || strings.ContainsAny(s.Name, "/\\ ") {
		return s, fmt.Errorf("helmtest: invalid chart name %q", s.Name)
	}
	if s.Version == "" {
		return s, fmt.Errorf("helmtest: chart %s: version is required", s.Name)
	}
	if s.AppVersion == "" {
		s.AppVersion = s.Version
	}
	if s.Description == "" {
		s.Description = "Test chart " + s.Name
	}
	if s.Values == "" {
		s.Values = DefaultValues
	}
	if len(s.Templates) == 0 {
		s.Templates = map[string]string{"configmap.yaml": DefaultTemplate}
	}
	return s, nil
}

// chartYAML is the Chart.yaml of the spec (apiVersion v2, type application).
func (s ChartSpec) chartYAML() string {
	return fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %q\nappVersion: %q\ndescription: %q\ntype: application\n",
		s.Name, s.Version, s.AppVersion, s.Description)
}

// BuildChart packages spec as a Helm chart archive (.tgz with <name>/Chart.yaml,
// values.yaml and templates/), like `helm package` does. The output is
// deterministic.
func BuildChart(spec ChartSpec) ([]byte, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	files := map[string]string{
		"Chart.yaml":  s.chartYAML(),
		"values.yaml": s.Values,
	}
	for name, content := range s.Templates {
		files[path.Join("templates", name)] = content
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)

	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.ModTime = archiveTime
	tw := tar.NewWriter(gz)
	for _, name := range names {
		content := files[name]
		hdr := &tar.Header{
			Name:    path.Join(s.Name, name),
			Mode:    0o644,
			Size:    int64(len(content)),
			ModTime: archiveTime,
			Format:  tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("helmtest: writing %s: %w", name, err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			return nil, fmt.Errorf("helmtest: writing %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("helmtest: closing tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("helmtest: closing gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// Digest returns the hex sha256 of b, as Helm writes it in index.yaml.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
