package chart

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/railyard-dev/railyard/internal/git/gittest"
)

// A chart repository that accepts connections and never answers fails the
// discovery as a transient error naming it, classic and OCI alike.
func TestFrozenRepositoryFails(t *testing.T) {
	f := gittest.NewFreezer(t, "")
	d := New(WithResponseTimeout(500*time.Millisecond), WithRetry(1, time.Second))
	tests := []Options{
		{RepoURL: "http://" + f.Addr + "/charts", Name: "app"},
		{RepoURL: "oci://" + f.Addr + "/charts/app", InsecureSkipTLSVerify: true},
	}
	for _, o := range tests {
		t.Run(o.RepoURL, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // hang guard only
			defer cancel()
			_, err := d.Discover(ctx, o)
			if !errors.Is(err, ErrTransient) || ctx.Err() != nil {
				t.Fatalf("err = %v, want ErrTransient before the guard", err)
			}
			if !strings.Contains(err.Error(), f.Addr) {
				t.Errorf("error %q does not name the repository %s", err, f.Addr)
			}
		})
	}
}

func TestDefaultResponseTimeout(t *testing.T) {
	if DefaultResponseTimeout > 25*time.Second {
		t.Errorf("DefaultResponseTimeout = %s, longer than the Warehouse's 25s per subscription", DefaultResponseTimeout)
	}
}
