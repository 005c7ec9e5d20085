package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// diskSample is how long the machine waited on its disk so far, to tell a
// run slowed by the shared disk from one short of CPU. (envtest's etcd does
// not sync its log to disk, so its writes wait on the CPU only.)
type diskSample struct {
	// iowait is the machine's CPU time idle while a task waited on IO.
	iowait time.Duration
	// ioSome and ioFull are the kernel's IO pressure stall times (PSI):
	// at least one task, and every non-idle task, waiting on IO.
	ioSome, ioFull time.Duration
}

func sampleDisk() diskSample {
	var s diskSample
	if t := cpuTicks(); t != nil {
		s.iowait = t[4]
	}
	if b, err := os.ReadFile("/proc/pressure/io"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			kind, rest, _ := strings.Cut(line, " ")
			for _, field := range strings.Fields(rest) {
				if v, ok := strings.CutPrefix(field, "total="); ok {
					us, _ := strconv.ParseInt(v, 10, 64)
					switch kind {
					case "some":
						s.ioSome = time.Duration(us) * time.Microsecond
					case "full":
						s.ioFull = time.Duration(us) * time.Microsecond
					}
				}
			}
		}
	}
	return s
}

// diskRows are the disk's figures between two samples.
func diskRows(before, after diskSample) [][2]string {
	return [][2]string{
		{"machine CPU waiting on IO", fmt.Sprintf("%.1f CPU-s", (after.iowait - before.iowait).Seconds())},
		{"IO pressure stalls, some / full", fmt.Sprintf("%.1f / %.1f s", (after.ioSome - before.ioSome).Seconds(), (after.ioFull - before.ioFull).Seconds())},
	}
}
