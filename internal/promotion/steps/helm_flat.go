package steps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/railyard-dev/railyard/internal/workdir"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// writeFlat writes each document of a rendered manifest to its own file in
// dir (relative to root), named [group-]kind[-namespace]-name.yaml as
// Kargo's "flat" layout.
func writeFlat(root *workdir.Root, dir string, manifest []byte) error {
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifest)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading rendered manifest: %w", err)
		}
		doc = bytes.TrimSpace(doc)
		if len(doc) == 0 || isOnlyComments(doc) {
			continue
		}
		name := flatFileName(doc)
		if name == "" {
			name = fmt.Sprintf("resource-%d.yaml", i)
		}
		if err := safeFileName(name); err != nil {
			return err
		}
		if err := root.WriteFile(filepath.Join(dir, name), append(doc, '\n'), 0o644); err != nil {
			return err
		}
	}
}

func flatFileName(doc []byte) string {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Kind == "" || meta.Metadata.Name == "" {
		return ""
	}
	name := meta.Kind
	if i := strings.LastIndex(meta.APIVersion, "/"); i > 0 {
		name = strings.ReplaceAll(meta.APIVersion[:i], ".", "_") + "-" + name
	}
	if meta.Metadata.Namespace != "" {
		name += "-" + meta.Metadata.Namespace
	}
	return strings.ToLower(name + "-" + meta.Metadata.Name + ".yaml")
}

func isOnlyComments(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}
