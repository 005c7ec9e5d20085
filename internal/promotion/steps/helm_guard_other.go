//go:build !linux

package steps

import "syscall"

// helmSysProcAttr: only Linux can tie helm's life to the guard's.
func helmSysProcAttr() *syscall.SysProcAttr { return nil }
