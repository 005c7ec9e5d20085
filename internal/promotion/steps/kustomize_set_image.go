package steps

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/railyard-dev/railyard/internal/promotion"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// KustomizeSetImage is the `kustomize-set-image` step: it sets image tags
// and digests in a kustomization's `images:`.
type KustomizeSetImage struct{}

type kustomizeSetImageConfig struct {
	// Path is the directory holding the kustomization.
	Path string `json:"path"`
	// Images to set; when absent, every image of the Freight collection.
	Images []kustomizeImage `json:"images,omitempty"`
}

type kustomizeImage struct {
	// Image is the image to set, and the `name` matched in `images:` unless
	// Name is given.
	Image string `json:"image"`
	// Name overrides the `name` matched in `images:`.
	Name string `json:"name,omitempty"`
	// NewName replaces the image's name; "*" keeps the current one.
	NewName string `json:"newName,omitempty"`
	// Tag to set; exactly one of Tag and Digest. "*" keeps the current one.
	Tag string `json:"tag,omitempty"`
	// Digest to set; exactly one of Tag and Digest. "*" keeps the current one.
	Digest string `json:"digest,omitempty"`
}

func (c *kustomizeSetImageConfig) validate() error {
	if err := required("path", c.Path); err != nil {
		return err
	}
	for i, img := range c.Images {
		if err := required(fmt.Sprintf("images[%d].image", i), img.Image); err != nil {
			return err
		}
		if (img.Tag == "") == (img.Digest == "") {
			return fmt.Errorf(`images[%d]: exactly one of fields "tag" and "digest" is required`, i)
		}
	}
	return nil
}

// kustImage is one entry of a kustomization's `images:`.
type kustImage struct {
	Name, NewName, NewTag, Digest string
}

// keep is the value that means "keep the current value", as in Kargo.
const keep = "*"

// Name implements promotion.Step.
func (KustomizeSetImage) Name() string { return "kustomize-set-image" }

// Run implements promotion.Step.
func (KustomizeSetImage) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg kustomizeSetImageConfig
	if err := decode(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	root, err := sc.OpenRoot()
	if err != nil {
		return errored(err)
	}
	defer func() { _ = root.Close() }()
	file, err := findKustomization(root, cfg.Path)
	if err != nil {
		return failed(err)
	}
	targets := imagesFromConfig(cfg.Images)
	if len(cfg.Images) == 0 {
		if targets, err = imagesFromFreight(sc); err != nil {
			return failed(err)
		}
	}
	if len(targets) == 0 {
		return succeeded(nil)
	}
	src, err := root.ReadFile(file)
	if err != nil {
		return errored(fmt.Errorf("reading kustomization in %q: %w", cfg.Path, err))
	}
	doc, err := parseYAMLDoc(src)
	if err != nil {
		return failed(fmt.Errorf("parsing kustomization in %q: %w", cfg.Path, err))
	}
	if err := setKustomizeImages(doc, targets); err != nil {
		return failed(fmt.Errorf("kustomization in %q: %w", cfg.Path, err))
	}
	out, err := doc.bytes()
	if err != nil {
		return errored(err)
	}
	if err := writeFileKeepMode(root, file, out); err != nil {
		return errored(fmt.Errorf("writing kustomization in %q: %w", cfg.Path, err))
	}
	return succeeded(map[string]any{"commitMessage": setImageMessage(cfg.Path, targets)})
}

// findKustomization returns the one kustomization file in dir, relative to
// root. Links are not taken for a kustomization file.
func findKustomization(root *workdir.Root, dir string) (string, error) {
	var found []string
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		fi, err := root.Lstat(p)
		if promotion.IsTerminal(err) {
			return "", err
		}
		if err == nil && fi.Mode().IsRegular() {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no kustomization file (%s) in %q",
			strings.Join(konfig.RecognizedKustomizationFileNames(), ", "), dir)
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%q holds more than one kustomization file", dir)
	}
}

func imagesFromConfig(images []kustomizeImage) map[string]kustImage {
	out := make(map[string]kustImage, len(images))
	for _, img := range images {
		t := kustImage{Name: img.Image, NewName: img.NewName, NewTag: img.Tag, Digest: img.Digest}
		if img.Name != "" {
			t.Name = img.Name
		}
		out[t.Name] = t
	}
	return out
}

// imagesFromFreight collects every image of the Freight collection. An image
// repository found in two Freight with different versions is ambiguous.
func imagesFromFreight(sc *promotion.StepContext) (map[string]kustImage, error) {
	origins := make([]string, 0, len(sc.Freight.Freight))
	for origin := range sc.Freight.Freight {
		origins = append(origins, origin)
	}
	sort.Strings(origins)
	out := map[string]kustImage{}
	from := map[string]string{}
	for _, origin := range origins {
		for _, img := range sc.Freight.Freight[origin].Images {
			t := kustImage{Name: img.RepoURL, NewTag: img.Tag, Digest: img.Digest}
			if prev, ok := out[img.RepoURL]; ok && prev != t {
				return nil, fmt.Errorf("image %q comes from both %s and %s; list it in \"images\" to choose",
					img.RepoURL, from[img.RepoURL], origin)
			}
			out[img.RepoURL], from[img.RepoURL] = t, origin
		}
	}
	return out, nil
}

// setKustomizeImages updates matching entries of `images:` in place, keeping
// their order and comments, and appends the others sorted by name.
func setKustomizeImages(doc *yamlDoc, targets map[string]kustImage) error {
	root := doc.root()
	if root.Kind != yamlMapping {
		return errors.New("the kustomization is not a YAML map")
	}
	seq := mappingValue(root, "images")
	switch {
	case seq == nil:
		seq = &yamlNode{Kind: yamlSequence, Tag: "!!seq"}
		root.Content = append(root.Content, keyNode("images"), seq)
		doc.structural = true
	case seq.Kind == yamlScalar && seq.Tag == "!!null":
		*seq = yamlNode{Kind: yamlSequence, Tag: "!!seq", HeadComment: seq.HeadComment, LineComment: seq.LineComment}
		doc.structural = true
	}
	if seq.Kind != yamlSequence {
		return errors.New(`"images" is not a list`)
	}
	done := map[string]bool{}
	for _, entry := range seq.Content {
		if entry.Kind != yamlMapping {
			return errors.New(`an entry of "images" is not a map`)
		}
		nameNode := mappingValue(entry, "name")
		if nameNode == nil {
			continue
		}
		t, ok := targets[nameNode.Value]
		if !ok {
			continue
		}
		done[t.Name] = true
		if err := updateImageEntry(doc, entry, t); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(targets))
	for name := range targets {
		if !done[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		entry := mappingNode()
		seq.Content = append(seq.Content, entry)
		doc.structural = true
		if err := updateImageEntry(doc, entry, targets[name]); err != nil {
			return err
		}
	}
	return nil
}

// updateImageEntry makes entry describe t: fields t leaves empty are
// removed (as Kargo replaces the whole entry), "*" keeps a field.
func updateImageEntry(doc *yamlDoc, entry *yamlNode, t kustImage) error {
	if mappingValue(entry, "name") == nil {
		entry.Content = append(entry.Content, keyNode("name"), stringNode(t.Name))
	}
	for _, f := range []struct{ key, value string }{
		{"newName", t.NewName}, {"newTag", t.NewTag}, {"digest", t.Digest},
	} {
		cur := mappingValue(entry, f.key)
		switch {
		case f.value == keep:
		case f.value == "" && cur != nil:
			removeKey(entry, f.key)
			doc.structural = true
		case f.value == "":
		case cur == nil:
			entry.Content = append(entry.Content, keyNode(f.key), stringNode(f.value))
			doc.structural = true
		case cur.Value != f.value:
			if err := doc.setValue(cur, f.value); err != nil {
				return err
			}
		}
	}
	return nil
}

func setImageMessage(path string, targets map[string]kustImage) string {
	names := make([]string, 0, len(targets))
	for name := range targets {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "Updated %s to use new image", path)
	if len(names) > 1 {
		b.WriteString("s")
	}
	b.WriteString("\n")
	for _, name := range names {
		t := targets[name]
		ref := t.Name
		if t.NewName != "" && t.NewName != keep {
			ref = t.NewName
		}
		if t.NewTag != "" && t.NewTag != keep {
			ref += ":" + t.NewTag
		}
		if t.Digest != "" && t.Digest != keep {
			ref += "@" + t.Digest
		}
		fmt.Fprintf(&b, "\n- %s", ref)
	}
	return b.String()
}
