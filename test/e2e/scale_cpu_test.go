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

// procUse is what a process (or the reaped children of this one) used so
// far: CPU time in user space and in the kernel, and page faults.
type procUse struct {
	user, kernel time.Duration
	faults       int64
}

func (u procUse) cpu() time.Duration { return u.user + u.kernel }

func (u procUse) minus(v procUse) procUse {
	return procUse{user: u.user - v.user, kernel: u.kernel - v.kernel, faults: u.faults - v.faults}
}

func (u procUse) plus(v procUse) procUse {
	return procUse{user: u.user + v.user, kernel: u.kernel + v.kernel, faults: u.faults + v.faults}
}

const testProcess = "test process (manager, registry, git server, Argo CD stand-in)"

// usageByProcess is procUse of this process and of every process started
// under it (kube-apiserver, etcd, git and helper processes), by command
// name. Finished children count once reaped, in this process's cutime,
// cstime and cminflt.
func usageByProcess() map[string]procUse {
	self := os.Getpid()
	out := map[string]procUse{}
	parents := map[int]int{}
	names := map[int]string{}
	uses := map[int]procUse{}
	// USER_HZ is 100 on Linux.
	ticks := func(f string) time.Duration {
		v, _ := strconv.ParseInt(f, 10, 64)
		return time.Duration(v) * 10 * time.Millisecond
	}
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
		// After the name: state ppid ... minflt cminflt majflt cmajflt
		// utime stime cutime cstime.
		f := strings.Fields(s[closing+1:])
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		minflt, _ := strconv.ParseInt(f[7], 10, 64)
		cminflt, _ := strconv.ParseInt(f[8], 10, 64)
		parents[pid] = ppid
		names[pid] = s[open+1 : closing]
		uses[pid] = procUse{user: ticks(f[11]), kernel: ticks(f[12]), faults: minflt}
		if pid == self {
			out["reaped children"] = procUse{user: ticks(f[13]), kernel: ticks(f[14]), faults: cminflt}
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
	for pid, u := range uses {
		name := names[pid]
		switch {
		case pid == self:
			name = testProcess
		case !under(pid):
			continue
		}
		out[name] = out[name].plus(u)
	}
	return out
}

// cpuByProcess is the CPU time of usageByProcess.
func cpuByProcess() map[string]time.Duration { return cpuOf(usageByProcess()) }

// cpuOf is the CPU time of each process of a usageByProcess reading.
func cpuOf(uses map[string]procUse) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, u := range uses {
		out[name] = u.cpu()
	}
	return out
}

// usageRows split each process's CPU between two readings of
// usageByProcess into user space and the kernel, with its page faults,
// largest CPU first: in the first wave's slow runs every process used
// more CPU for the same work, and these say where.
func usageRows(before, after map[string]procUse) [][2]string {
	type use struct {
		name string
		u    procUse
	}
	var uses []use
	for name, u := range after {
		if d := u.minus(before[name]); d.cpu() > 0 {
			uses = append(uses, use{name, d})
		}
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].u.cpu() > uses[j].u.cpu() })
	var rows [][2]string
	for _, u := range uses {
		rows = append(rows, [2]string{"user / kernel CPU, page faults, " + u.name,
			fmt.Sprintf("%.1f / %.1f CPU-s, %d", u.u.user.Seconds(), u.u.kernel.Seconds(), u.u.faults)})
	}
	return rows
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
