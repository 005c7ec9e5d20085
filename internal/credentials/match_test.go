package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

func secret(name string, data map[string]string) corev1.Secret {
	s := corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestMatch(t *testing.T) {
	basic := func(url string) map[string]string {
		return map[string]string{"repoURL": url, "username": "u", "password": "p"}
	}
	tests := []struct {
		name       string
		kind       Kind
		secrets    []corev1.Secret
		repoURL    string
		wantSecret string // "" means no credentials
		wantErr    string // substring; also must wrap ErrInvalidSecret
	}{
		{name: "no secrets", kind: Image, repoURL: "ghcr.io/org/app"},
		{name: "exact", kind: Image, repoURL: "ghcr.io/org/app",
			secrets: []corev1.Secret{secret("a", basic("ghcr.io/org/other")), secret("b", basic("ghcr.io/org/app"))}, wantSecret: "b"},
		{name: "image normalisation", kind: Image, repoURL: "nginx",
			secrets: []corev1.Secret{secret("hub", basic("docker.io/library/nginx"))}, wantSecret: "hub"},
		{name: "git normalisation", kind: Git, repoURL: "https://GitHub.com/org/repo.git",
			secrets: []corev1.Secret{secret("gh", basic("https://github.com/org/repo"))}, wantSecret: "gh"},
		{name: "scp git url", kind: Git, repoURL: "git@github.com:org/repo.git",
			secrets: []corev1.Secret{secret("ssh", map[string]string{"repoURL": "ssh://git@github.com/org/repo", "sshPrivateKey": "KEY"})}, wantSecret: "ssh"},
		{name: "chart trailing slash", kind: Helm, repoURL: "https://charts.example.com/",
			secrets: []corev1.Secret{secret("h", basic("https://charts.example.com"))}, wantSecret: "h"},
		{name: "first by name wins", kind: Image, repoURL: "ghcr.io/org/app",
			secrets: []corev1.Secret{secret("z", basic("ghcr.io/org/app")), secret("m", basic("ghcr.io/org/app"))}, wantSecret: "m"},
		{name: "regex", kind: Image, repoURL: "ghcr.io/org/app",
			secrets:    []corev1.Secret{secret("re", map[string]string{"repoURL": `^ghcr\.io/org/.*$`, "repoURLIsRegex": "true", "username": "u", "password": "p"})},
			wantSecret: "re"},
		{name: "regex text without flag is literal", kind: Image, repoURL: "ghcr.io/org/app",
			secrets: []corev1.Secret{secret("lit", basic(`^ghcr\.io/org/.*$`))}},
		{name: "invalid regex reported when nothing matches", kind: Image, repoURL: "ghcr.io/org/app",
			secrets: []corev1.Secret{secret("bad", map[string]string{"repoURL": "(", "repoURLIsRegex": "true", "username": "u", "password": "p"})},
			wantErr: `demo/bad: key "repoURL"`},
		{name: "invalid regex skipped when another matches", kind: Image, repoURL: "ghcr.io/org/app",
			secrets: []corev1.Secret{
				secret("a-bad", map[string]string{"repoURL": "(", "repoURLIsRegex": "true"}),
				secret("b-good", basic("ghcr.io/org/app"))},
			wantSecret: "b-good"},
		{name: "missing password", kind: Image, repoURL: "ghcr.io/org/app",
			secrets: []corev1.Secret{secret("nopw", map[string]string{"repoURL": "ghcr.io/org/app", "username": "u"})},
			wantErr: `Secret demo/nopw matches the repository but lacks key "password"`},
		{name: "missing username for registry", kind: Helm, repoURL: "https://charts.example.com",
			secrets: []corev1.Secret{secret("nouser", map[string]string{"repoURL": "https://charts.example.com", "password": "p"})},
			wantErr: `lacks key "username"`},
		{name: "git token without user name", kind: Git, repoURL: "https://github.com/org/repo",
			secrets:    []corev1.Secret{secret("tok", map[string]string{"repoURL": "https://github.com/org/repo", "password": "t"})},
			wantSecret: "tok"},
		{name: "git with nothing", kind: Git, repoURL: "https://github.com/org/repo",
			secrets: []corev1.Secret{secret("empty", map[string]string{"repoURL": "https://github.com/org/repo"})},
			wantErr: `lacks key "password" (or "sshPrivateKey")`},
		{name: "git github app without password", kind: Git, repoURL: "https://github.com/org/repo",
			secrets: []corev1.Secret{secret("app", map[string]string{"repoURL": "https://github.com/org/repo",
				"githubAppClientID": "Iv1.abc", "githubAppInstallationID": "42", "githubAppPrivateKey": "KEY"})},
			wantSecret: "app"},
		{name: "git github app incomplete", kind: Git, repoURL: "https://github.com/org/repo",
			secrets: []corev1.Secret{secret("half-app", map[string]string{"repoURL": "https://github.com/org/repo",
				"githubAppID": "7", "githubAppPrivateKey": "KEY", "password": "t"})},
			wantErr: `lacks key "githubAppInstallationID"`},
		{name: "aws keys", kind: Image, repoURL: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app",
			secrets: []corev1.Secret{secret("ecr", map[string]string{"repoURL": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app",
				"awsAccessKeyID": "AKIA", "awsSecretAccessKey": "s", "awsRegion": "eu-west-1"})},
			wantSecret: "ecr"},
		{name: "aws key id without secret", kind: Image, repoURL: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app",
			secrets: []corev1.Secret{secret("half", map[string]string{"repoURL": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app",
				"awsAccessKeyID": "AKIA"})},
			wantErr: `lacks key "awsSecretAccessKey"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Match(tt.secrets, tt.kind, tt.repoURL)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidSecret) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want ErrInvalidSecret containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			switch {
			case tt.wantSecret == "" && got != nil:
				t.Fatalf("got credentials from %s, want none", got.SecretName)
			case tt.wantSecret != "" && (got == nil || got.SecretName != tt.wantSecret):
				t.Fatalf("got %v, want Secret %s", got, tt.wantSecret)
			}
		})
	}
}

func TestGitHubAppFieldsCarried(t *testing.T) {
	s := secret("app", map[string]string{"repoURL": "https://github.com/org/repo", "githubAppID": "7",
		"githubAppClientID": "Iv1.abc", "githubAppInstallationID": " 42 ", "githubAppPrivateKey": "KEY"})
	got, err := Match([]corev1.Secret{s}, Git, "https://github.com/org/repo")
	if err != nil || got == nil {
		t.Fatalf("Match = %v, %v", got, err)
	}
	if got.GitHubAppID != "7" || got.GitHubAppClientID != "Iv1.abc" || got.GitHubAppInstallationID != "42" ||
		string(got.GitHubAppPrivateKey) != "KEY" || !got.HasGitHubApp() {
		t.Fatalf("GitHub App fields not carried: %v", got)
	}
	if !strings.Contains(got.String(), "GitHubApp:true") {
		t.Fatalf("String() = %s, want GitHubApp:true", got.String())
	}
}

func TestErrorsAndStringsNeverShowValues(t *testing.T) {
	s := secret("leaky", map[string]string{"repoURL": "ghcr.io/org/app", "username": "alice", "awsAccessKeyID": "AKIASECRET1"})
	_, err := Match([]corev1.Secret{s}, Image, "ghcr.io/org/app")
	if err == nil || strings.Contains(err.Error(), "AKIASECRET1") {
		t.Fatalf("error %v must exist and not show the key id", err)
	}
	c := Credentials{SecretName: "s", Username: "alice", Password: "hunter22", SSHPrivateKey: []byte("PRIVATEKEY"),
		GitHubAppID: "7", GitHubAppInstallationID: "42", GitHubAppPrivateKey: []byte("APPKEY")}
	for _, out := range []string{c.String(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		if strings.Contains(out, "hunter22") || strings.Contains(out, "PRIVATEKEY") || strings.Contains(out, "APPKEY") {
			t.Fatalf("printed secret: %s", out)
		}
	}
}

func TestStoreReadsBothLabels(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	kargo := secret("a-kargo", map[string]string{"repoURL": "ghcr.io/org/app", "username": "k", "password": "p"})
	kargo.Labels = map[string]string{railyard.LabelKargoCredType: "image"}
	ours := secret("b-ours", map[string]string{"repoURL": "ghcr.io/org/app", "username": "r", "password": "p"})
	ours.Labels = map[string]string{railyard.LabelCredType: "image"}
	wrongType := secret("0-git", map[string]string{"repoURL": "ghcr.io/org/app", "username": "g", "password": "p"})
	wrongType.Labels = map[string]string{railyard.LabelCredType: "git"}
	other := secret("c-elsewhere", map[string]string{"repoURL": "ghcr.io/org/app", "username": "o", "password": "p"})
	other.Namespace = "other"
	other.Labels = map[string]string{railyard.LabelCredType: "image"}

	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&kargo, &ours, &wrongType, &other).Build()
	got, err := Store{Reader: c}.Get(context.Background(), "demo", Image, "ghcr.io/org/app")
	if err != nil || got == nil || got.Username != "k" {
		t.Fatalf("Get = %v, %v; want the Kargo-labelled Secret a-kargo", got, err)
	}
	if err := c.Delete(context.Background(), &kargo); err != nil {
		t.Fatal(err)
	}
	got, err = Store{Reader: c}.Get(context.Background(), "demo", Image, "ghcr.io/org/app")
	if err != nil || got == nil || got.Username != "r" {
		t.Fatalf("Get = %v, %v; want b-ours", got, err)
	}
}

func TestProviderCarried(t *testing.T) {
	s := secret("forge", map[string]string{"repoURL": "https://git.example.com/org/repo", "password": "t", "provider": " Gitea "})
	c, err := Match([]corev1.Secret{s}, Git, "https://git.example.com/org/repo")
	if err != nil || c == nil || c.Provider != "gitea" {
		t.Fatalf("Match = %+v, %v; want provider gitea", c, err)
	}
}
