package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuByProcess is the CPU time so far of this process and of every process
// started under it (kube-apiserver, etcd, git and helper processes), by
// command name. Finished children count once reaped, in this process's
// cutime/cstime.
func cpuByProcess() map[string]time.Duration {
	self := os.Getpid()
	out := map[string]time.Duration{}
	parents := map[int]int{}
	names := map[int]string{}
	cpus := map[int]time.Duration{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(s[:open]))
		if err != nil {
			continue
		}
		f := strings.Fields(s[closing+1:])
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		cutime, _ := strconv.ParseInt(f[13], 10, 64)
		cstime, _ := strconv.ParseInt(f[14], 10, 64)
		parents[pid] = ppid
		names[pid] = s[open+1 : closing]
		// USER_HZ is 100 on Linux.
		cpus[pid] = time.Duration(utime+stime) * 10 * time.Millisecond
		if pid == self {
			out["reaped children"] = time.Duration(cutime+cstime) * 10 * time.Millisecond
		}
	}
	under := func(pid int) bool {
		for i := 0; i < 64 && pid > 1; i++ {
			if pid == self {
				return true
			}
			pid = parents[pid]
		}
		return false
	}
	for pid, cpu := range cpus {
		switch {
		case pid == self:
			out["test process (manager, registry, git server, Argo CD stand-in)"] += cpu
		case under(pid):
			out[names[pid]] += cpu
		}
	}
	return out
}

// cpuRows are the CPU seconds each process used between two samples of
// cpuByProcess, largest first, and their total.
func cpuRows(before, after map[string]time.Duration) [][2]string {
	type use struct {
		name string
		d    time.Duration
	}
	var uses []use
	var total time.Duration
	for name, d := range after {
		if d -= before[name]; d > 0 {
			uses = append(uses, use{name, d})
			total += d
		}
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].d > uses[j].d })
	rows := [][2]string{{"CPU, all processes", fmt.Sprintf("%.1f CPU-s", total.Seconds())}}
	for _, u := range uses {
		rows = append(rows, [2]string{"CPU, " + u.name, fmt.Sprintf("%.1f CPU-s", u.d.Seconds())})
	}
	return rows
}

// cpuTicks are the machine's CPU times from the first line of /proc/stat,
// in its order (user, nice, system, idle, iowait, irq, softirq, steal),
// or nil.
func cpuTicks() []time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return nil
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return nil
	}
	ticks := make([]time.Duration, 8)
	for i := range ticks {
		v, _ := strconv.ParseInt(f[i+1], 10, 64)
		// USER_HZ is 100 on Linux.
		ticks[i] = time.Duration(v) * 10 * time.Millisecond
	}
	return ticks
}

// processesCPU is the CPU the processes of a cpuByProcess reading used
// between two readings.
func processesCPU(before, after map[string]time.Duration) time.Duration {
	var total time.Duration
	for name, d := range after {
		if d -= before[name]; d > 0 {
			total += d
		}
	}
	return total
}

// applyCPU applies manifests as pw.apply does and returns the CPU time
// kubectl itself used: it is reaped, so cpuByProcess counts it with the git
// server's processes.
func applyCPU(tb testing.TB, pw *pipelineWorld, manifests string) time.Duration {
	tb.Helper()
	_, cpu, err := pw.env.KubectlCPU(pw.ctx, strings.NewReader(manifests), "apply", "--server-side", "-f", "-")
	if err != nil {
		tb.Fatal(err)
	}
	return cpu
}
