package promotion

import "github.com/railyard-dev/railyard/internal/workdir"

// OpenRoot opens the work directory for confined access (see package
// workdir).
func (sc *StepContext) OpenRoot() (*workdir.Root, error) { return workdir.OpenRoot(sc.WorkDir) }

// Path resolves a path from step configuration inside the work directory.
// Absolute paths, `..` and symbolic links that lead outside are refused
// with an error IsTerminal reports as terminal.
func (sc *StepContext) Path(rel string) (string, error) {
	return workdir.SecureJoin(sc.WorkDir, rel)
}
