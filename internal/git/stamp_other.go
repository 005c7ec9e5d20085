//go:build !linux

package git

import (
	"errors"
	"os"
)

// stampOf has no change time where Railyard does not know how to read
// one: it reports false, and work trees are never pooled.
func stampOf(fi os.FileInfo) (stamp, bool) {
	return stamp{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UnixNano()}, false
}

// lstatAt is never needed where nothing is pooled.
func lstatAt(int, string) (stamp, error) {
	return stamp{}, errors.ErrUnsupported
}
