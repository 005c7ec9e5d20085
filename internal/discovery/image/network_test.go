package image

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// A registry that accepts connections and never answers fails the
// discovery as a transient error naming the registry, instead of hanging.
func TestFrozenRegistryFails(t *testing.T) {
	f := gittest.NewFreezer(t, "")
	d := newTestDiscoverer(Config{ResponseTimeout: 500 * time.Millisecond, MaxRetries: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
	defer cancel()
	_, err := d.Discover(ctx, Options{RepoURL: f.Addr + "/app", InsecureSkipTLSVerify: true})
	if !errors.Is(err, ErrTransient) || ctx.Err() != nil {
		t.Fatalf("err = %v, want ErrTransient before the guard", err)
	}
	if !strings.Contains(err.Error(), f.Addr) {
		t.Errorf("error %q does not name the registry %s", err, f.Addr)
	}
}

func TestDefaultResponseTimeout(t *testing.T) {
	if got := New(Config{}).cfg.ResponseTimeout; got != DefaultResponseTimeout || got > 25*time.Second {
		t.Errorf("default response timeout = %s, want %s (within the Warehouse's 25s)", got, DefaultResponseTimeout)
	}
}

// Messages about a repoURL that embeds credentials never repeat them.
func TestInvalidRepoURLIsRedacted(t *testing.T) {
	for _, raw := range []string{"user:s3cret-pass@registry.example.com/app", "https://user:s3cret-pass@registry.example.com/app"} {
		err := Options{RepoURL: raw}.Validate()
		if err == nil {
			t.Fatalf("%s: want an error", raw)
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(Options{RepoURL: raw}.String(), "s3cret") {
			t.Errorf("%s: message leaks the password: %v", raw, err)
		}
	}
}
