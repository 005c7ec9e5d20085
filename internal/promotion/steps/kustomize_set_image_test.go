package steps

import (
	"path/filepath"
	"testing"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

const kustomizationYAML = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization

resources:
- deployment.yaml

# Images are set by Railyard.
images:
- name: ghcr.io/example/app # main app
  newTag: "1.0.0"

- name: ghcr.io/example/worker
  newName: registry.local/worker
  digest: sha256:0000
`

func freight(images map[string][]railyard.Image) railyard.FreightCollection {
	fc := railyard.FreightCollection{Freight: map[string]railyard.FreightReference{}}
	for origin, imgs := range images {
		fc.Freight[origin] = railyard.FreightReference{Name: "f-" + origin, Images: imgs}
	}
	return fc
}

func TestKustomizeSetImage(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		content  string
		images   []any
		freight  railyard.FreightCollection
		message  string
		noChange bool
	}{
		{
			name:    "tag-in-place",
			images:  []any{map[string]any{"image": "ghcr.io/example/app", "tag": "1.2.3"}},
			message: "Updated ./app to use new image\n\n- ghcr.io/example/app:1.2.3",
		},
		{
			name: "digest-replaces-tag-and-new-image",
			images: []any{
				map[string]any{"image": "ghcr.io/example/app", "digest": "sha256:abcd"},
				map[string]any{"image": "nginx", "tag": "1.27", "newName": "mirror.local/nginx"},
			},
			message: "Updated ./app to use new images\n\n- ghcr.io/example/app@sha256:abcd\n- mirror.local/nginx:1.27",
		},
		{
			name:    "keep-new-name",
			images:  []any{map[string]any{"image": "worker", "name": "ghcr.io/example/worker", "newName": "*", "digest": "sha256:ffff"}},
			message: "Updated ./app to use new image\n\n- ghcr.io/example/worker@sha256:ffff",
		},
		{
			name: "automatic-from-freight",
			freight: freight(map[string][]railyard.Image{
				"Warehouse/app": {{RepoURL: "ghcr.io/example/app", Tag: "2.0.0", Digest: "sha256:aaaa"}},
				"Warehouse/web": {{RepoURL: "ghcr.io/example/web", Tag: "0.9.0"}},
			}),
			message: "Updated ./app to use new images\n\n- ghcr.io/example/app:2.0.0@sha256:aaaa\n- ghcr.io/example/web:0.9.0",
		},
		{
			name:     "automatic-without-images",
			freight:  freight(map[string][]railyard.Image{"Warehouse/app": nil}),
			noChange: true,
		},
		{
			name:    "no-images-field",
			file:    "Kustomization",
			content: "resources:\n  - deployment.yaml\n",
			images:  []any{map[string]any{"image": "ghcr.io/example/app", "tag": "1.2.3"}},
			message: "Updated ./app to use new image\n\n- ghcr.io/example/app:1.2.3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file, content := tc.file, tc.content
			if file == "" {
				file, content = "kustomization.yaml", kustomizationYAML
			}
			dir := workDir(t, map[string]string{"app/" + file: content})
			cfg := map[string]any{"path": "./app"}
			if tc.images != nil {
				cfg["images"] = tc.images
			}
			sc := stepContext(dir, cfg)
			sc.Freight = tc.freight
			res := run(t, KustomizeSetImage{}, sc)
			got := readFile(t, filepath.Join(dir, "app", file))
			if tc.noChange {
				if string(got) != content || res.Output != nil {
					t.Errorf("want no change and no output, got output %v and\n%s", res.Output, got)
				}
				return
			}
			if msg := res.Output["commitMessage"]; msg != tc.message {
				t.Errorf("commitMessage = %q, want %q", msg, tc.message)
			}
			golden(t, "kustomize-set-image/"+tc.name+".yaml", got)
			run(t, KustomizeSetImage{}, sc)
			if again := readFile(t, filepath.Join(dir, "app", file)); string(again) != string(got) {
				t.Errorf("second run changed the file:\n%s", again)
			}
		})
	}
}

func TestKustomizeSetImageBadInput(t *testing.T) {
	outside := outsideFile(t)
	img := []any{map[string]any{"image": "a", "tag": "1"}}
	tests := []struct {
		name    string
		config  map[string]any
		freight railyard.FreightCollection
		setup   func(t *testing.T, dir string)
		wantMsg []string
		escape  bool
	}{
		{name: "unknown field", config: map[string]any{"path": "app", "imgs": img}, wantMsg: []string{"imgs"}},
		{name: "unknown image field", config: map[string]any{"path": "app", "images": []any{map[string]any{"image": "a", "tag": "1", "useDigest": true}}}, wantMsg: []string{"useDigest"}},
		{name: "missing path", config: map[string]any{"images": img}, wantMsg: []string{`"path"`}},
		{name: "missing image", config: map[string]any{"path": "app", "images": []any{map[string]any{"tag": "1"}}}, wantMsg: []string{"images[0].image"}},
		{name: "tag and digest", config: map[string]any{"path": "app", "images": []any{map[string]any{"image": "a", "tag": "1", "digest": "sha256:1"}}}, wantMsg: []string{`"tag"`, `"digest"`}},
		{name: "neither tag nor digest", config: map[string]any{"path": "app", "images": []any{map[string]any{"image": "a"}}}, wantMsg: []string{`"tag"`, `"digest"`}},
		{name: "no kustomization", config: map[string]any{"path": "elsewhere", "images": img}, wantMsg: []string{"no kustomization file", "elsewhere"}},
		{name: "dotdot escape", config: map[string]any{"path": "app/../..", "images": img}, escape: true},
		{
			name:   "symlink escape",
			config: map[string]any{"path": "link", "images": img},
			setup:  func(t *testing.T, dir string) { symlink(t, dir, "link", filepath.Dir(outside)) },
			escape: true,
		},
		{
			name:   "ambiguous freight",
			config: map[string]any{"path": "app"},
			freight: freight(map[string][]railyard.Image{
				"Warehouse/a": {{RepoURL: "ghcr.io/example/app", Tag: "1"}},
				"Warehouse/b": {{RepoURL: "ghcr.io/example/app", Tag: "2"}},
			}),
			wantMsg: []string{"ghcr.io/example/app", "Warehouse/a", "Warehouse/b"},
		},
		{name: "images not a list", config: map[string]any{"path": "bad", "images": img}, wantMsg: []string{`"images" is not a list`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := workDir(t, map[string]string{
				"app/kustomization.yaml": kustomizationYAML,
				"bad/kustomization.yml":  "images: nope\n",
			})
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			sc := stepContext(dir, tc.config)
			sc.Freight = tc.freight
			err := wantFailure(t, KustomizeSetImage{}, sc, tc.wantMsg...)
			if tc.escape != isPathEscape(err) {
				t.Errorf("path escape = %v, want %v (%v)", isPathEscape(err), tc.escape, err)
			}
			if got := readFile(t, filepath.Join(dir, "app", "kustomization.yaml")); string(got) != kustomizationYAML {
				t.Errorf("kustomization changed by a failed step:\n%s", got)
			}
		})
	}
}
