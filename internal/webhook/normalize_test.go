package webhook

import "testing"

func TestNormalizeImageRepo(t *testing.T) {
	cases := []struct{ in, want string }{
		{"nginx", "docker.io/library/nginx"},
		{"nginx:1.27", "docker.io/library/nginx"},
		{"library/nginx", "docker.io/library/nginx"},
		{"docker.io/library/nginx", "docker.io/library/nginx"},
		{"docker.io/nginx", "docker.io/library/nginx"},
		{"index.docker.io/library/nginx", "docker.io/library/nginx"},
		{"registry-1.docker.io/library/nginx", "docker.io/library/nginx"},
		{"acme/api", "docker.io/acme/api"},
		{"Acme/API:1.0", "docker.io/acme/api"},
		{"ghcr.io/acme/api:1.4.2", "ghcr.io/acme/api"},
		{"ghcr.io/acme/api:", "ghcr.io/acme/api"},
		{"ghcr.io/acme/api@sha256:4a1e3c9f0d3b2e4c4f4b7c9e1b0e3f28a2d9c4b1e5f6a7b8c9d0e1f2a3b4c5d6", "ghcr.io/acme/api"},
		{"localhost:5000/team/app:dev", "localhost:5000/team/app"},
		{"harbor.acme.example:8443/platform/api", "harbor.acme.example:8443/platform/api"},
		{"oci://ghcr.io/acme/charts/api", "ghcr.io/acme/charts/api"},
		{"quay.io/acme/api/", "quay.io/acme/api"},
		{"  quay.io/acme/api  ", "quay.io/acme/api"},
		{"", ""},
		{"not a ref!", "not a ref!"},
	}
	for _, c := range cases {
		if got := NormalizeImageRepo(c.in); got != c.want {
			t.Errorf("NormalizeImageRepo(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNormalizeGitURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://github.com/Acme/Deploy-Config.git", "https://github.com/acme/deploy-config"},
		{"https://github.com/acme/deploy-config/", "https://github.com/acme/deploy-config"},
		{"https://user:token@github.com/acme/deploy-config", "https://github.com/acme/deploy-config"},
		{"git@github.com:acme/deploy-config.git", "ssh://github.com/acme/deploy-config"},
		{"ssh://git@github.com/acme/deploy-config.git", "ssh://github.com/acme/deploy-config"},
		{"ssh://git@gitea.acme.example:2222/platform/deploy-config.git", "ssh://gitea.acme.example:2222/platform/deploy-config"},
		{"git://github.com/acme/deploy-config.git", "git://github.com/acme/deploy-config"},
		{"http://gitea.local/acme/x", "http://gitea.local/acme/x"},
		{"", ""},
	}
	for _, c := range cases {
		if got := NormalizeGitURL(c.in); got != c.want {
			t.Errorf("NormalizeGitURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNormalizeChartRepo(t *testing.T) {
	cases := []struct{ in, want string }{
		{"oci://ghcr.io/Acme/charts/api", "ghcr.io/acme/charts/api"},
		{"oci://registry-1.docker.io/acme/api", "docker.io/acme/api"},
		{"https://charts.acme.example/stable/", "https://charts.acme.example/stable"},
		{"HTTPS://Charts.Acme.Example", "https://charts.acme.example"},
	}
	for _, c := range cases {
		if got := NormalizeChartRepo(c.in); got != c.want {
			t.Errorf("NormalizeChartRepo(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
