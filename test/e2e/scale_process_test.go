package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// managerProcess is cmd/manager run as a process of its own, so that a
// benchmark measures the manager's CPU and memory alone: in the test
// process they would include the registry, the git server's handlers, the
// Argo CD stand-in and the benchmark's own reads.
type managerProcess struct {
	cmd     *exec.Cmd
	metrics string // URL of its /metrics
	pprof   string // URL of its /debug/pprof/, when profiles is set
	log     string
}

// startManagerProcess builds cmd/manager and starts it against kubeconfig
// with opts' settings that the scale benchmarks vary; it is stopped when
// tb ends. Its log is written to a file, named when the run fails. With
// profiles, it serves Go's profiles (see profile).
func startManagerProcess(tb testing.TB, kubeconfig string, opts manager.Options, profiles bool) *managerProcess {
	tb.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	exe := filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-o", exe, "./cmd/manager")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("building the manager: %v\n%s", err, out)
	}
	port := freePort(tb)
	args := []string{
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--health-probe-bind-address", "0",
		"--work-dir", opts.WorkDir,
		"--promotion-concurrency", strconv.Itoa(opts.PromotionConcurrency),
		"--warehouse-concurrency", strconv.Itoa(opts.WarehouseConcurrency),
		"--stage-concurrency", strconv.Itoa(opts.StageConcurrency),
		"--registry-requests-per-second", strconv.FormatFloat(opts.RegistryRequestsPerSecond, 'f', -1, 64),
		"--cache-by-tag-policy", string(opts.CacheByTagPolicy),
	}
	m := &managerProcess{metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", port), log: filepath.Join(dir, "manager.log")}
	if d := os.Getenv("SCALE_PROFILE_DIR"); d != "" {
		// Kept with the profiles, to read after the run.
		m.log = filepath.Join(d, "manager.log")
	}
	if profiles {
		pp := freePort(tb)
		args = append(args, "--pprof-bind-address", fmt.Sprintf("127.0.0.1:%d", pp))
		m.pprof = fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", pp)
	}
	logFile, err := os.Create(m.log)
	if err != nil {
		tb.Fatal(err)
	}
	m.cmd = exec.Command(exe, args...)
	m.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	if err := m.cmd.Start(); err != nil {
		tb.Fatalf("starting the manager: %v", err)
	}
	tb.Cleanup(func() {
		_ = m.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = m.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = m.cmd.Process.Kill()
			<-done
		}
		_ = logFile.Close()
		if tb.Failed() {
			tb.Logf("the manager's log: %s", m.log)
		}
	})
	return m
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// cpu is the CPU time the process used, user and system.
func (m *managerProcess) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces; utime and stime are the 14th and 15th of the line.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	// Linux reports clock ticks of 1/100 s (USER_HZ) here.
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// status is a memory field of the process's /proc status, in MiB.
func (m *managerProcess) status(field string) string {
	return procStatusOf(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid), field)
}

// metric is the sum of every series of a metric the manager serves.
func (m *managerProcess) metric(name string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.metrics, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading the manager's metrics: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("parsing the manager's metrics: %w", err)
	}
	f, ok := families[name]
	if !ok {
		return 0, fmt.Errorf("the manager serves no metric %s", name)
	}
	var sum float64
	for _, s := range f.GetMetric() {
		switch {
		case s.GetGauge() != nil:
			sum += s.GetGauge().GetValue()
		case s.GetCounter() != nil:
			sum += s.GetCounter().GetValue()
		case s.GetUntyped() != nil:
			sum += s.GetUntyped().GetValue()
		}
	}
	return sum, nil
}

// profile saves the manager's profile name (such as "heap", or "profile?seconds=60"
// for the CPU over the next minute) to path.
func (m *managerProcess) profile(name, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.pprof+name, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reading the manager's %s profile: %w", name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reading the manager's %s profile: %s", name, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
