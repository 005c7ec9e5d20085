package argocdstep

import (
	"strings"
	"testing"

	"github.com/railyard-dev/railyard/internal/promotion"
)

func TestDecodeConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		wantErr string // "" means valid
	}{
		{"by name", map[string]any{"apps": []any{map[string]any{"name": "app"}}}, ""},
		{"by selector", map[string]any{"apps": []any{map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"a": "b"}}}}}, ""},
		{"full source", map[string]any{"apps": []any{map[string]any{"name": "app", "namespace": "cd", "sources": []any{map[string]any{
			"repoURL": "https://x/y.git", "desiredRevision": "abc", "updateTargetRevision": true,
			"kustomize": map[string]any{"images": []any{map[string]any{"repoURL": "img", "tag": "v1"}}},
			"helm":      map[string]any{"images": []any{map[string]any{"key": "image.tag", "value": "v1"}}},
		}}}}}, ""},
		{"no apps", map[string]any{}, "apps: at least one"},
		{"neither name nor selector", map[string]any{"apps": []any{map[string]any{"namespace": "x"}}}, "apps[0].name, selector"},
		{"both name and selector", map[string]any{"apps": []any{map[string]any{"name": "a", "selector": map[string]any{"matchLabels": map[string]any{"a": "b"}}}}}, "exactly one"},
		{"empty selector", map[string]any{"apps": []any{map[string]any{"selector": map[string]any{}}}}, "every Application"},
		{"bad selector", map[string]any{"apps": []any{map[string]any{"selector": map[string]any{"matchExpressions": []any{map[string]any{"key": "a", "operator": "Near"}}}}}}, "apps[0].selector"},
		{"unknown field", map[string]any{"apps": []any{map[string]any{"name": "a", "sync": true}}}, "sync"},
		{"wrong type", map[string]any{"apps": "app"}, `"apps"`},
		{"source without repoURL", map[string]any{"apps": []any{map[string]any{"name": "a", "sources": []any{map[string]any{"desiredRevision": "x"}}}}}, "apps[0].sources[0].repoURL"},
		{"updateTargetRevision alone", map[string]any{"apps": []any{map[string]any{"name": "a", "sources": []any{map[string]any{"repoURL": "r", "updateTargetRevision": true}}}}}, "desiredRevision: required"},
		{"image with tag and digest", map[string]any{"apps": []any{map[string]any{"name": "a", "sources": []any{map[string]any{"repoURL": "r",
			"kustomize": map[string]any{"images": []any{map[string]any{"repoURL": "img", "tag": "v1", "digest": "sha256:0"}}}}}}}}, "kustomize.images[0].tag, digest"},
		{"image without repoURL", map[string]any{"apps": []any{map[string]any{"name": "a", "sources": []any{map[string]any{"repoURL": "r",
			"kustomize": map[string]any{"images": []any{map[string]any{"tag": "v1"}}}}}}}}, "kustomize.images[0].repoURL"},
		{"helm parameter without key", map[string]any{"apps": []any{map[string]any{"name": "a", "sources": []any{map[string]any{"repoURL": "r",
			"helm": map[string]any{"images": []any{map[string]any{"value": "v1"}}}}}}}}, "helm.images[0].key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeConfig(tt.config)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
			}
			if !promotion.IsTerminal(err) {
				t.Errorf("error %v is not terminal", err)
			}
		})
	}
}
