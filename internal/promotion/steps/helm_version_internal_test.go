package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Callers that ask for helm's version together start helm once, and all
// get its answer.
func TestHelmVersionAskedOnceByCallersTogether(t *testing.T) {
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	helm := filepath.Join(dir, "helm")
	script := "#!/bin/sh\necho run >> " + runs + "\nsleep 0.3\necho v3.99.0+gtest\n"
	if err := os.WriteFile(helm, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = helmVersionShort(context.Background(), helm)
		}()
	}
	wg.Wait()
	for i, v := range got {
		if v != "v3.99.0+gtest" {
			t.Errorf("caller %d got %q", i, v)
		}
	}
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Errorf("helm started %d times, want once", n)
	}
	// A caller whose context has ended does not wait for helm's answer.
	slow := filepath.Join(dir, "slow-helm")
	if err := os.WriteFile(slow, []byte("#!/bin/sh\nsleep 1\necho v3.99.1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if v := helmVersionShort(ctx, slow); v != "" {
		t.Errorf("a cancelled caller got %q", v)
	}
}
