package ecr

// The ECR API cannot be reached from tests, so these tests run the real
// aws-sdk-go-v2 client (serialization, SigV4 signing, retries, error
// parsing) against ecrtest's local stand-in of the ECR API, reached through
// Options.Endpoint, the SDK's BaseEndpoint setting.

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/ecr/ecrtest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// standIn starts the ECR stand-in accepting testKeyID/testSecret, and a
// provider pointed at it that retries nothing unless opts say otherwise.
func standIn(t *testing.T, clock *fakeClock, opts Options, extra ...ecrtest.Option) (*ecrtest.Server, *TokenProvider) {
	t.Helper()
	srv := ecrtest.New(t, append([]ecrtest.Option{
		ecrtest.WithAccessKey(testKeyID, testSecret),
		ecrtest.WithRegion("eu-west-1"),
		ecrtest.WithClock(clock.Now),
	}, extra...)...)
	opts.Endpoint = srv.URL
	opts.Now = clock.Now
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 1
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, p
}

func staticCreds(t *testing.T) Credentials {
	t.Helper()
	c, err := CredentialsFromSecretData(map[string][]byte{
		SecretKeyAccessKeyID:     []byte(testKeyID),
		SecretKeySecretAccessKey: []byte(testSecret),
		SecretKeyRegion:          []byte("eu-west-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func assertNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, testSecret, testKeyID) {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %q", err)
		}
	}
}
