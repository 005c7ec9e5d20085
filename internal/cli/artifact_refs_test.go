package cli

import (
	"errors"
	"testing"
)

func TestSplitVersion(t *testing.T) {
	tests := []struct {
		in, repo, version string
		wantErr           bool
	}{
		{in: "ghcr.io/acme/app:v1.2.0", repo: "ghcr.io/acme/app", version: "v1.2.0"},
		{in: "localhost:5000/app:v1", repo: "localhost:5000/app", version: "v1"},
		{in: "nginx:1.27", repo: "nginx", version: "1.27"},
		{in: "https://charts.example.com/titiler:1.4.0", repo: "https://charts.example.com/titiler", version: "1.4.0"},
		{in: "oci://ghcr.io/acme/charts/app:0.1.0", repo: "oci://ghcr.io/acme/charts/app", version: "0.1.0"},
		{in: "localhost:5000/app", wantErr: true},
		{in: "ghcr.io/acme/app:", wantErr: true},
		{in: ":v1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			repo, version, err := splitVersion("--image", tt.in)
			if tt.wantErr {
				if !errors.As(err, new(usageError)) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil || repo != tt.repo || version != tt.version {
				t.Errorf("= %q, %q, %v; want %q, %q", repo, version, err, tt.repo, tt.version)
			}
		})
	}
}

func TestSplitCommit(t *testing.T) {
	tests := []struct {
		in, repo, sha string
		wantErr       bool
	}{
		{in: "https://github.com/acme/gitops.git@1A2B3C4", repo: "https://github.com/acme/gitops.git", sha: "1a2b3c4"},
		{in: "git@github.com:acme/gitops.git@abcdef0", repo: "git@github.com:acme/gitops.git", sha: "abcdef0"},
		{in: "https://github.com/acme/gitops.git", wantErr: true},
		{in: "https://github.com/acme/gitops.git@main", wantErr: true},
		{in: "repo@ab", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			repo, sha, err := splitCommit(tt.in)
			if tt.wantErr {
				if !errors.As(err, new(usageError)) {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil || repo != tt.repo || sha != tt.sha {
				t.Errorf("= %q, %q, %v; want %q, %q", repo, sha, err, tt.repo, tt.sha)
			}
		})
	}
}
