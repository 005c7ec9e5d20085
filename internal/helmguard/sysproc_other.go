//go:build !linux

package helmguard

import "syscall"

// helmSysProcAttr: only Linux can tie helm's life to the guard's.
func helmSysProcAttr() *syscall.SysProcAttr { return nil }
