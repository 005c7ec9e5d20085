package git

import (
	"errors"
	"testing"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"git@github.com:org/repo.git", "ssh://git@github.com/org/repo.git"},
		{"github.com:org/repo", "ssh://github.com/org/repo"},
		{"https://github.com/org/repo.git", "https://github.com/org/repo.git"},
		{"ssh://git@host:2222/repo.git", "ssh://git@host:2222/repo.git"},
		{"/local/path", "/local/path"},
	}
	for _, tt := range tests {
		if got := NormalizeURL(tt.in); got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"https", "https://user:s3cret@host/repo.git", "https://redacted@host/repo.git"},
		{"http token", "http://x-access-token:ghp_abcd@host:8080/repo.git", "http://redacted@host:8080/repo.git"},
		{"ssh", "ssh://user:s3cret-pass@host:2222/repo.git", "ssh://redacted@host:2222/repo.git"},
		{"git+ssh", "git+ssh://git:pw1234@host/repo.git", "git+ssh://redacted@host/repo.git"},
		{"oci", "oci://robot:t0ken@registry.example.com/charts/app", "oci://redacted@registry.example.com/charts/app"},
		{"scp-like", "user:s3cret@github.com:org/repo.git", "redacted@github.com:org/repo.git"},
		{"image ref", "user:s3cret@registry.example.com/app", "redacted@registry.example.com/app"},
		{"bad escape", "https://user:s3cret@host/%zz", "https://redacted@host/%zz"},
		{"slash in password", "https://user:12/34@host/repo", "https://redacted@host/repo"},
		{"at in password", "https://user:p@ss@host/repo", "https://redacted@host/repo"},
		{"hash in password", "https://user:p#ss@host/repo", "https://redacted@host/repo"},
		{"empty password", "https://user:@host/repo", "https://redacted@host/repo"},
		{"no credentials", "https://host/repo.git", "https://host/repo.git"},
		{"bare ssh user kept", "ssh://git@host:2222/repo.git", "ssh://git@host:2222/repo.git"},
		{"scp-like user kept", "git@github.com:org/repo.git", "git@github.com:org/repo.git"},
		{"registry with port", "localhost:5000/app", "localhost:5000/app"},
		{"not a scheme", "u:a://b@host:path", "redacted@host:path"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactIn(t *testing.T) {
	const raw = "ssh://user:s3cret%2Dpass@host/repo.git"
	tests := []struct{ name, text string }{
		{"whole URL", `invalid repository URL "` + raw + `"`},
		{"userinfo", "parse error near user:s3cret%2Dpass@"},
		{"decoded password", "auth failed with password s3cret-pass"},
		{"raw password", "auth failed with password s3cret%2Dpass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactIn(tt.text, "https://host/other.git", raw)
			if contains(got, "s3cret") {
				t.Errorf("RedactIn(%q) = %q still holds the password", tt.text, got)
			}
		})
	}
	if got := RedactIn("fine: https://host/repo", "https://host/repo"); got != "fine: https://host/repo" {
		t.Errorf("text without credentials changed: %q", got)
	}
}

func TestNewRemoteRejectsEmbeddedPassword(t *testing.T) {
	for _, raw := range []string{"https://u:hunter22@host/repo.git", "https://u:31337/hunter22@host/repo.git",
		"ssh://u:hunter22@host/repo.git", "u:hunter22@host:repo.git"} {
		_, err := newRemote(raw, Credentials{})
		if !errors.Is(err, ErrInvalidURL) {
			t.Errorf("%s: err = %v, want ErrInvalidURL", raw, err)
		} else if contains(err.Error(), "hunter22") {
			t.Errorf("%s: error leaks the password: %s", raw, err)
		}
	}
}

func TestCredentialsString(t *testing.T) {
	c := Credentials{Username: "u", Password: "hunter22", SSHPrivateKey: []byte("KEY")}
	if s := c.String(); contains(s, "hunter22") || contains(s, "KEY") {
		t.Fatalf("String leaks secrets: %s", s)
	}
}
