package steps

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/railyard-dev/railyard/internal/helmguard"
)

// helmVersions caches `helm version --short` by binary path and
// modification time, so a replaced binary is asked again.
var helmVersions sync.Map // string -> string

// helmVersionRuns asks helm once for callers that ask together: every
// worker's first kustomize-build of a wave would otherwise start helm.
var helmVersionRuns singleflight.Group

// helmVersionShort returns what `helm version --short` prints for helm, or
// "" when it cannot tell; the guard then runs helm for the question.
func helmVersionShort(ctx context.Context, helm string) string {
	fi, err := os.Stat(helm)
	if err != nil {
		return ""
	}
	key := helm + "\x00" + fi.ModTime().String()
	if v, ok := helmVersions.Load(key); ok {
		return v.(string)
	}
	ch := helmVersionRuns.DoChan(key, func() (any, error) {
		if v, ok := helmVersions.Load(key); ok {
			return v, nil
		}
		// Not the first caller's context: the others share this run. A
		// caller whose context ends stops waiting for it (below).
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, helm, "version", "--short")
		// No HELM_ settings: the version does not depend on them, and helm
		// must not read or create homes outside a work directory.
		cmd.Env = helmguard.Env(os.Environ(), os.TempDir()+"/railyard-helm-version-home")
		out, err := cmd.Output()
		v := strings.TrimSpace(string(out))
		if err != nil || v == "" {
			return "", nil
		}
		helmVersions.Store(key, v)
		return v, nil
	})
	select {
	case res := <-ch:
		return res.Val.(string)
	case <-ctx.Done():
		return ""
	}
}
