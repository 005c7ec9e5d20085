package helmtest

import (
	"fmt"
	"sort"
	"time"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"
)

// indexEntry is one chart version in index.yaml, with the fields Helm writes.
type indexEntry struct {
	APIVersion  string    `json:"apiVersion"`
	AppVersion  string    `json:"appVersion,omitempty"`
	Created     time.Time `json:"created"`
	Description string    `json:"description,omitempty"`
	Digest      string    `json:"digest"`
	Name        string    `json:"name"`
	Type        string    `json:"type,omitempty"`
	URLs        []string  `json:"urls"`
	Version     string    `json:"version"`
}

type indexFile struct {
	APIVersion string                  `json:"apiVersion"`
	Entries    map[string][]indexEntry `json:"entries"`
	Generated  time.Time               `json:"generated"`
}

// renderIndex writes index.yaml with each chart's versions newest first, as
// `helm repo index` does.
func renderIndex(entries map[string][]indexEntry, generated time.Time) ([]byte, error) {
	sorted := make(map[string][]indexEntry, len(entries))
	for name, list := range entries {
		list = append([]indexEntry(nil), list...)
		sort.SliceStable(list, func(i, j int) bool { return versionLess(list[j].Version, list[i].Version) })
		sorted[name] = list
	}
	b, err := yaml.Marshal(indexFile{APIVersion: "v1", Entries: sorted, Generated: generated})
	if err != nil {
		return nil, fmt.Errorf("helmtest: rendering index: %w", err)
	}
	return b, nil
}

// versionLess orders by semver, falling back to string order for invalid
// versions so rendering never fails.
func versionLess(a, b string) bool {
	va, errA := semver.NewVersion(a)
	vb, errB := semver.NewVersion(b)
	if errA != nil || errB != nil {
		return a < b
	}
	if c := va.Compare(vb); c != 0 {
		return c < 0
	}
	return a < b
}
