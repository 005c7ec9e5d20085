package argocdstep

import (
	"fmt"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// sourcePlan is what the source updates do to one Application.
type sourcePlan struct {
	// spec is the merge patch fragment for spec ({"source": ...} or
	// {"sources": [...]}), nil when nothing changes. It carries whole
	// source objects as read from the server, so fields we do not model
	// survive; a merge patch replaces lists wholesale.
	spec map[string]any
	// desired holds one desired revision per Application source ("" = any).
	desired []string
	// targets holds each source's targetRevision after the updates.
	targets []string
	multi   bool
}

// planSources applies updates to a copy of the Application's sources.
func planSources(u *unstructured.Unstructured, updates []SourceUpdate) (sourcePlan, error) {
	var plan sourcePlan
	list, found, err := unstructured.NestedSlice(u.Object, "spec", "sources")
	if err != nil {
		return plan, fmt.Errorf("reading spec.sources: %w", err)
	}
	plan.multi = found && len(list) > 0
	if !plan.multi {
		single, found, err := unstructured.NestedMap(u.Object, "spec", "source")
		if err != nil {
			return plan, fmt.Errorf("reading spec.source: %w", err)
		}
		list = nil
		if found {
			list = []any{single}
		}
	}
	orig := runtime.DeepCopyJSONValue(list)
	plan.desired = make([]string, len(list))
	for i, upd := range updates {
		idx := findSource(list, upd)
		if idx < 0 {
			what := fmt.Sprintf("repoURL %q", upd.RepoURL)
			if upd.Chart != "" {
				what += fmt.Sprintf(" and chart %q", upd.Chart)
			}
			return plan, fmt.Errorf("sources[%d]: the Application has no source with %s", i, what)
		}
		src := list[idx].(map[string]any)
		if err := applyUpdate(src, upd); err != nil {
			return plan, fmt.Errorf("sources[%d]: %w", i, err)
		}
		if upd.DesiredRevision != "" {
			plan.desired[idx] = upd.DesiredRevision
		}
	}
	plan.targets = make([]string, len(list))
	for i, s := range list {
		plan.targets[i], _, _ = unstructured.NestedString(s.(map[string]any), "targetRevision")
	}
	if !reflect.DeepEqual(orig, list) {
		if plan.multi {
			plan.spec = map[string]any{"sources": list}
		} else {
			plan.spec = map[string]any{"source": list[0]}
		}
	}
	return plan, nil
}

// findSource returns the index of the source an update applies to, or -1.
func findSource(list []any, upd SourceUpdate) int {
	for i, s := range list {
		m, ok := s.(map[string]any)
		if !ok {
			continue
		}
		repoURL, _, _ := unstructured.NestedString(m, "repoURL")
		chart, _, _ := unstructured.NestedString(m, "chart")
		if normalizeRepoURL(repoURL) == normalizeRepoURL(upd.RepoURL) && chart == upd.Chart {
			return i
		}
	}
	return -1
}

// normalizeRepoURL makes equivalent spellings of a repository compare equal.
func normalizeRepoURL(u string) string {
	u = strings.ToLower(strings.TrimSpace(u))
	u = strings.TrimSuffix(u, "/")
	return strings.TrimSuffix(u, ".git")
}

// rewrites says whether applying the update changes the source, which the
// step then writes whole: every field of it must have been read.
func (upd SourceUpdate) rewrites() bool {
	return upd.UpdateTargetRevision || (upd.Kustomize != nil && len(upd.Kustomize.Images) > 0) ||
		(upd.Helm != nil && len(upd.Helm.Images) > 0)
}

func applyUpdate(src map[string]any, upd SourceUpdate) error {
	if upd.UpdateTargetRevision {
		src["targetRevision"] = upd.DesiredRevision
	}
	if upd.Kustomize != nil && len(upd.Kustomize.Images) > 0 {
		images, _, err := unstructured.NestedStringSlice(src, "kustomize", "images")
		if err != nil {
			return fmt.Errorf("reading kustomize.images: %w", err)
		}
		for _, img := range upd.Kustomize.Images {
			images = setKustomizeImage(images, img)
		}
		if err := unstructured.SetNestedStringSlice(src, images, "kustomize", "images"); err != nil {
			return fmt.Errorf("writing kustomize.images: %w", err)
		}
	}
	if upd.Helm != nil && len(upd.Helm.Images) > 0 {
		params, _, err := unstructured.NestedSlice(src, "helm", "parameters")
		if err != nil {
			return fmt.Errorf("reading helm.parameters: %w", err)
		}
		for _, p := range upd.Helm.Images {
			params = setHelmParameter(params, p)
		}
		if err := unstructured.SetNestedSlice(src, params, "helm", "parameters"); err != nil {
			return fmt.Errorf("writing helm.parameters: %w", err)
		}
	}
	return nil
}

// setKustomizeImage replaces the override for img's image, or appends one.
// Entries use Argo CD's "[old=]new[:tag][@digest]" form.
func setKustomizeImage(images []string, img KustomizeImage) []string {
	entry := img.RepoURL
	if img.NewName != "" {
		entry += "=" + img.NewName
	}
	if img.Tag != "" {
		entry += ":" + img.Tag
	} else {
		entry += "@" + img.Digest
	}
	for i, existing := range images {
		if kustomizeImageName(existing) == img.RepoURL {
			images[i] = entry
			return images
		}
	}
	return append(images, entry)
}

// kustomizeImageName is the image an override entry applies to. A colon
// before the last slash is a registry port, not a tag.
func kustomizeImageName(entry string) string {
	if name, _, ok := strings.Cut(entry, "="); ok {
		return name
	}
	if i := strings.Index(entry, "@"); i >= 0 {
		entry = entry[:i]
	}
	if i := strings.LastIndex(entry, ":"); i > strings.LastIndex(entry, "/") {
		entry = entry[:i]
	}
	return entry
}

// setHelmParameter sets the value of the parameter named p.Key, keeping its
// other fields (forceString), or appends it.
func setHelmParameter(params []any, p HelmParameter) []any {
	for _, existing := range params {
		m, ok := existing.(map[string]any)
		if ok && m["name"] == p.Key {
			m["value"] = p.Value
			return params
		}
	}
	return append(params, map[string]any{"name": p.Key, "value": p.Value})
}
