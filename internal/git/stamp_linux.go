//go:build linux

package git

import (
	"os"
	"syscall"
)

// stampOf is what the kernel says about an entry, for telling later
// whether it is still the one Railyard wrote (see treePool).
func stampOf(fi os.FileInfo) (stamp, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stamp{}, false
	}
	return stamp{
		dev: uint64(st.Dev), ino: st.Ino, mode: fi.Mode(), size: fi.Size(), //nolint:unconvert // Dev is not uint64 everywhere
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
	}, true
}
