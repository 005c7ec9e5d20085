package steps

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// countingHelm writes a stand-in helm into dir that answers version after
// sleeping for pause (seconds, as sleep(1) takes them) and returns its path
// and how many times it has run so far.
func countingHelm(t *testing.T, dir, version, pause string) (helm string, runs func() int) {
	t.Helper()
	log := filepath.Join(dir, "runs")
	helm = filepath.Join(dir, "helm")
	script := "#!/bin/sh\necho run >> " + log + "\nsleep " + pause + "\necho " + version + "\n"
	if err := os.WriteFile(helm, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return helm, func() int {
		b, _ := os.ReadFile(log)
		return strings.Count(string(b), "run")
	}
}

// Callers that ask for helm's version together start helm once, and all
// get its answer.
func TestHelmVersionAskedOnceByCallersTogether(t *testing.T) {
	dir := t.TempDir()
	helm, runs := countingHelm(t, dir, "v3.99.0+gtest", "0.3")
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
	if n := runs(); n != 1 {
		t.Errorf("helm started %d times, want once", n)
	}
	// A caller whose context has ended does not wait for helm's answer.
	slow, _ := countingHelm(t, t.TempDir(), "v3.99.1", "1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if v := helmVersionShort(ctx, slow); v != "" {
		t.Errorf("a cancelled caller got %q", v)
	}
}
