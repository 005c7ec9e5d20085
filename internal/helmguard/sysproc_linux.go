package helmguard

import "syscall"

// helmSysProcAttr makes helm die with the guard: a step's context kills the
// guard, and helm must not outlive it writing into the work directory.
func helmSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
