package ecr

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/railyard-dev/railyard/internal/ecr/ecrtest"
)

func TestTokenCachedUntilShortlyBeforeExpiry(t *testing.T) {
	clock := newClock()
	srv, p := standIn(t, clock, Options{RefreshMargin: 10 * time.Minute})
	repo := srv.RepoURL("app")
	creds := staticCreds(t)

	tok, err := p.Token(t.Context(), repo, creds)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != "AWS" || tok.Password != ecrtest.Password(1) {
		t.Fatalf("token = %s / %q, want AWS / %q", tok, tok.Password, ecrtest.Password(1))
	}
	if want := clock.Now().Add(12 * time.Hour); !tok.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", tok.ExpiresAt, want)
	}

	// Same registry (another repository), still valid: no API call.
	clock.Advance(12*time.Hour - 10*time.Minute - time.Second)
	again, err := p.Token(t.Context(), srv.RepoURL("other/repo"), creds)
	if err != nil || again.Password != tok.Password {
		t.Fatalf("second Token = %q, %v; want cached token", again.Password, err)
	}
	if n := srv.Calls(ecrtest.OpGetAuthorizationToken); n != 1 {
		t.Fatalf("GetAuthorizationToken calls = %d, want 1 (cached)", n)
	}

	// Within the refresh margin: a new token.
	clock.Advance(time.Second)
	fresh, err := p.Token(t.Context(), repo, creds)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Password != ecrtest.Password(2) || srv.Calls(ecrtest.OpGetAuthorizationToken) != 2 {
		t.Fatalf("after expiry minus margin: password %q, calls %d; want a new token from a second call",
			fresh.Password, srv.Calls(ecrtest.OpGetAuthorizationToken))
	}
}

func TestTokenCachedPerIdentity(t *testing.T) {
	clock := newClock()
	const otherID, otherSecret = "AKIAOTHERKEYID000002", "other-secret-value"
	srv, p := standIn(t, clock, Options{}, ecrtest.WithAccessKey(otherID, otherSecret))
	other, err := StaticCredentials(otherID, otherSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Credentials{staticCreds(t), other, staticCreds(t), other} {
		if _, err := p.Token(t.Context(), srv.RepoURL("app"), c); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Calls(ecrtest.OpGetAuthorizationToken); n != 2 {
		t.Fatalf("GetAuthorizationToken calls = %d, want one per identity (2)", n)
	}
}

func TestTokenConcurrentCallersShareOneRequest(t *testing.T) {
	srv, p := standIn(t, newClock(), Options{})
	creds := staticCreds(t)
	var wg sync.WaitGroup
	passwords := make([]string, 20)
	errs := make([]error, len(passwords))
	for i := range passwords {
		wg.Go(func() {
			tok, err := p.Token(t.Context(), srv.RepoURL("app"), creds)
			passwords[i], errs[i] = tok.Password, err
		})
	}
	wg.Wait()
	for i := range passwords {
		if errs[i] != nil || passwords[i] != ecrtest.Password(1) {
			t.Fatalf("caller %d: %q, %v", i, passwords[i], errs[i])
		}
	}
	if n := srv.Calls(ecrtest.OpGetAuthorizationToken); n != 1 {
		t.Fatalf("GetAuthorizationToken calls = %d, want 1 shared", n)
	}
}

func TestTokenWithAmbientCredentials(t *testing.T) {
	hermeticAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	srv, p := standIn(t, newClock(), Options{})
	tok, err := p.Token(t.Context(), srv.RepoURL("app"), AmbientCredentials())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Password != ecrtest.Password(1) {
		t.Fatalf("password = %q", tok.Password)
	}
}

func TestTokenWithoutAmbientCredentials(t *testing.T) {
	hermeticAWSEnv(t)
	srv, p := standIn(t, newClock(), Options{})
	_, err := p.Token(t.Context(), srv.RepoURL("app"), AmbientCredentials())
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", err)
	}
	if n := srv.Calls(ecrtest.OpGetAuthorizationToken); n != 0 {
		t.Errorf("unsigned request reached ECR: %d calls", n)
	}
}

// hermeticAWSEnv hides the machine's AWS configuration from the SDK's default
// chain and disables the instance metadata service.
func hermeticAWSEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             dir + "/config",
		"AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"} {
		t.Setenv(k, "")
	}
}

func TestTokenErrors(t *testing.T) {
	wrongSecret, err := StaticCredentials(testKeyID, "not-the-right-secret", "")
	if err != nil {
		t.Fatal(err)
	}
	unknownKey, err := StaticCredentials("AKIAUNKNOWNKEY000003", testSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		repoURL string // "" = the stand-in's repository
		creds   Credentials
		fail    *ecrtest.Failure
		want    error
	}{
		{"malformed URL", "ghcr.io/org/app", Credentials{}, nil, ErrInvalidConfig},
		{"public ECR", "public.ecr.aws/org/app", Credentials{}, nil, ErrInvalidConfig},
		{"wrong secret", "", wrongSecret, nil, ErrAccessDenied},
		{"unknown key", "", unknownKey, nil, ErrAccessDenied},
		{"not authorized", "", Credentials{}, &ecrtest.Failure{Status: http.StatusBadRequest, Code: "AccessDeniedException",
			Message: "User with key " + testKeyID + " and " + testSecret + " is not authorized"}, ErrAccessDenied},
		{"throttled", "", Credentials{}, &ecrtest.Failure{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}, ErrTransient},
		{"server error", "", Credentials{}, &ecrtest.Failure{Status: http.StatusInternalServerError, Code: "ServerException", Message: "oops"}, ErrTransient},
		{"bad gateway", "", Credentials{}, &ecrtest.Failure{Status: http.StatusBadGateway, Code: "", Message: ""}, ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, p := standIn(t, newClock(), Options{})
			repo, creds := tt.repoURL, tt.creds
			if repo == "" {
				repo = srv.RepoURL("app")
			}
			if creds.IsAmbient() {
				creds = staticCreds(t)
			}
			if tt.fail != nil {
				srv.FailNext(ecrtest.OpGetAuthorizationToken, *tt.fail)
			}
			_, err := p.Token(t.Context(), repo, creds)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, other := range []error{ErrInvalidConfig, ErrAccessDenied, ErrNotFound, ErrTransient} {
				if !errors.Is(other, tt.want) && errors.Is(err, other) {
					t.Errorf("err = %v is also %v", err, other)
				}
			}
			assertNoSecret(t, err, "not-the-right-secret")
		})
	}
}

func TestThrottlingRetriedBySDK(t *testing.T) {
	srv, p := standIn(t, newClock(), Options{MaxAttempts: 2})
	throttled := ecrtest.Failure{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}
	srv.FailNext(ecrtest.OpGetAuthorizationToken, throttled, throttled, throttled)
	_, err := p.Token(t.Context(), srv.RepoURL("app"), staticCreds(t))
	if !errors.Is(err, ErrTransient) {
		t.Fatalf("throttled beyond MaxAttempts: err = %v, want ErrTransient", err)
	}
	if n := srv.Calls(ecrtest.OpGetAuthorizationToken); n != 2 {
		t.Fatalf("calls = %d, want 2 (MaxAttempts)", n)
	}
	if _, err := p.Token(t.Context(), srv.RepoURL("app"), staticCreds(t)); err != nil {
		t.Fatalf("throttled once more, then fine: %v", err)
	}
	if n := srv.Calls(ecrtest.OpGetAuthorizationToken); n != 4 {
		t.Fatalf("calls = %d, want 4 (one retry)", n)
	}
}

func TestTokenCallerCancellation(t *testing.T) {
	srv, p := standIn(t, newClock(), Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Token(ctx, srv.RepoURL("app"), staticCreds(t))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestAuthenticator(t *testing.T) {
	srv, p := standIn(t, newClock(), Options{})
	if _, err := p.Authenticator("public.ecr.aws/org/app", staticCreds(t)); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("public ECR: err = %v, want ErrInvalidConfig", err)
	}
	a, err := p.Authenticator(srv.RepoURL("app"), staticCreds(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := authn.Authorization(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Username != "AWS" || cfg.Password != ecrtest.Password(1) {
		t.Fatalf("auth config = %q / %q", cfg.Username, cfg.Password)
	}
}

func TestNewRejectsBadEndpoint(t *testing.T) {
	for _, ep := range []string{"ftp://x", "localhost:1234", "https://user:pw@host", "::"} {
		_, err := New(Options{Endpoint: ep})
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New(Endpoint %q): err = %v, want ErrInvalidConfig", ep, err)
		}
		assertNoSecret(t, err, "pw@")
	}
}
