package git

import "testing"

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
	tests := []struct{ in, want string }{
		{"https://user:s3cret@host/repo.git", "https://redacted@host/repo.git"},
		{"https://host/repo.git", "https://host/repo.git"},
		{"git@github.com:org/repo.git", "ssh://git@github.com/org/repo.git"},
		{"https://user:s3cret@host/%zz", "https://redacted@host/%zz"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewRemoteRejectsEmbeddedPassword(t *testing.T) {
	_, err := newRemote("https://u:hunter22@host/repo.git", Credentials{})
	if err == nil {
		t.Fatal("want error")
	}
	if got := err.Error(); contains(got, "hunter22") {
		t.Fatalf("error leaks the password: %s", got)
	}
}

func TestCredentialsString(t *testing.T) {
	c := Credentials{Username: "u", Password: "hunter22", SSHPrivateKey: []byte("KEY")}
	if s := c.String(); contains(s, "hunter22") || contains(s, "KEY") {
		t.Fatalf("String leaks secrets: %s", s)
	}
}
