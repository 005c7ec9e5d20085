package e2e

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// speedProbe measures how fast the machine runs a fixed piece of work right
// now: the median CPU time, on one locked thread, of seven rounds of
// sorting the same 256 Ki integers and hashing the same 2 MiB. The work never
// changes, so a higher figure means a slower machine, not more work.
//
// The first wave's CPU for the same work varies by up to 1.8 times between
// runs minutes apart, every process's alike (kubectl's own for the same 700
// applies too). Taken before and after each wave, the probe tells a machine
// that computes more slowly from a wave that costs more on a machine that
// does not; on 2026-12-05 it was the latter (docs/benchmarks.md). It
// allocates nothing while it runs and takes about 0.2 s.
func speedProbe() time.Duration {
	const n = 256 << 10
	src := make([]int, n)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range src {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		src[i] = int(x >> 1)
	}
	buf := make([]byte, 2<<20)
	for i := range buf {
		buf[i] = byte(src[i%n])
	}
	work := make([]int, n)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rounds := make([]time.Duration, 7)
	for r := range rounds {
		start := threadCPU()
		copy(work, src)
		slices.Sort(work)
		h := uint64(14695981039346656037)
		for _, b := range buf {
			h ^= uint64(b)
			h *= 1099511628211
		}
		rounds[r] = threadCPU() - start
		// Kept, so neither loop can be dropped as dead code.
		probeSink += h ^ uint64(work[n/2])
	}
	slices.Sort(rounds)
	return rounds[len(rounds)/2]
}

var probeSink uint64

// speedRow shows two probes, before and after a wave.
func speedRow(before, after time.Duration) string {
	return fmt.Sprintf("%.1f / %.1f ms", before.Seconds()*1000, after.Seconds()*1000)
}

// threadCPU is the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// machineReading is what the kernel says about the whole machine's CPU
// (/proc/stat) and memory so far.
type machineReading struct {
	// user and system are all processes' CPU in user space (nice
	// included) and in the kernel (interrupts included); busy is their
	// sum.
	user, system, busy time.Duration
	// idle is how much of the 2 cores went unused (iowait included);
	// steal how much the hypervisor took, which varies from run to run on
	// shared hosts.
	idle, steal time.Duration
	// faults are page faults of every process (/proc/vmstat pgfault).
	faults int64
	// reportedKiB is the memory the kernel has handed back to the
	// hypervisor by free page reporting; reporting says whether the
	// kernel does that at all.
	reportedKiB int64
	reporting   bool
}

func readMachine() machineReading {
	var m machineReading
	if t := cpuTicks(); t != nil {
		// user nice system idle iowait irq softirq steal
		m.user, m.system = t[0]+t[1], t[2]+t[5]+t[6]
		m.busy = m.user + m.system
		m.idle, m.steal = t[3]+t[4], t[7]
	}
	if b, err := os.ReadFile("/proc/vmstat"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "pgfault "); ok {
				m.faults, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	if b, err := os.ReadFile("/sys/module/page_reporting/parameters/reported_kib"); err == nil {
		m.reportedKiB, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		m.reporting = true
	}
	return m
}

// machineRows compare two readings: the kernel's share of the CPU, the
// page faults (each costs the most when it touches memory the hypervisor
// took back), and the memory handed back meanwhile.
func machineRows(before, after machineReading) [][2]string {
	rows := [][2]string{
		{"machine CPU in user space / in the kernel", fmt.Sprintf("%.1f / %.1f CPU-s", (after.user - before.user).Seconds(), (after.system - before.system).Seconds())},
		{"machine page faults", strconv.FormatInt(after.faults-before.faults, 10)},
	}
	returned := "the kernel does not report free pages"
	if after.reporting {
		returned = fmt.Sprintf("%d MiB", (after.reportedKiB-before.reportedKiB)/1024)
	}
	return append(rows, [2]string{"memory handed back to the hypervisor (free page reporting)", returned})
}

// tempFilesystem names the filesystem under os.TempDir, where the
// benchmark keeps etcd's data, the git server's repository and, unless
// SCALE_WORK_DIR says otherwise, the manager's work directory. On this
// project's build machines it is ext4 without a journal, where the kernel
// scans past the inodes deleted in the last 30 s before it hands out a
// new one, so a file made there can cost a hundred times what it costs on
// a tmpfs (docs/benchmarks.md, twenty-fifth session).
func tempFilesystem() string {
	dir := os.TempDir()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return dir + ": " + err.Error()
	}
	kind := fmt.Sprintf("filesystem type 0x%x", st.Type)
	switch st.Type {
	case unix.TMPFS_MAGIC:
		kind = "tmpfs"
	case unix.EXT4_SUPER_MAGIC:
		kind = "ext2/3/4"
		// jbd2 lists every mounted journal; none at all means no ext4
		// filesystem here has one.
		if ents, err := os.ReadDir("/proc/fs/jbd2"); err == nil && len(ents) == 0 {
			kind += ", no journal on this machine"
		}
	case unix.XFS_SUPER_MAGIC:
		kind = "xfs"
	case unix.OVERLAYFS_SUPER_MAGIC:
		kind = "overlayfs"
	}
	return dir + " (" + kind + ")"
}
