//go:build linux

package git

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
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

// lstatAt stamps the entry at the relative path p under the directory
// dirfd, without following a symbolic link in its last element. The mode
// is made as os.Lstat makes it, so stamps taken either way compare equal.
func lstatAt(dirfd int, p string) (stamp, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, p, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return stamp{}, &fs.PathError{Op: "lstat", Path: p, Err: err}
	}
	return stamp{
		dev: uint64(st.Dev), ino: st.Ino, mode: fileMode(st.Mode), size: st.Size, //nolint:unconvert // Dev is not uint64 everywhere
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
	}, nil
}

// fileMode turns a stat mode into an os.FileMode as the os package does.
func fileMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFBLK:
		mode |= os.ModeDevice
	case unix.S_IFCHR:
		mode |= os.ModeDevice | os.ModeCharDevice
	case unix.S_IFDIR:
		mode |= os.ModeDir
	case unix.S_IFIFO:
		mode |= os.ModeNamedPipe
	case unix.S_IFLNK:
		mode |= os.ModeSymlink
	case unix.S_IFSOCK:
		mode |= os.ModeSocket
	}
	if m&unix.S_ISGID != 0 {
		mode |= os.ModeSetgid
	}
	if m&unix.S_ISUID != 0 {
		mode |= os.ModeSetuid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= os.ModeSticky
	}
	return mode
}
