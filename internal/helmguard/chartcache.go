package helmguard

// kustomize pulls every remote chart again for each build, and each pull
// starts helm. The guard keeps charts pulled from HTTP repositories in a
// cache outside every work directory, keyed by repository, name, version
// and the digest the repository's index gives for that version, so a later
// pull of the same chart asks the repository only for its index and copies
// the chart instead of starting helm. A chart re-published under the same
// version has a new digest, hence a new key. Anything unusual (OCI, a
// missing version or digest, links in the chart) goes to helm as before.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/railyard-dev/railyard/internal/workdir"
	"sigs.k8s.io/yaml"
)

// chartCacheEntries bounds the cache; the oldest entries go first.
const chartCacheEntries = 256

// maxIndexBytes bounds the index the guard reads.
const maxIndexBytes = 64 << 20

// chartPull is a `helm pull` of one chart version from an HTTP repository
// into a directory, as kustomize runs it.
type chartPull struct {
	repo, name, version string
	// untardir is absolute; the chart lands in untardir/name.
	untardir string
}

// parseChartPull recognizes exactly kustomize's pull command line
// (`pull --untar --untardir D --repo R NAME --version V`); anything else
// is left to helm.
func parseChartPull(cwd string, args []string) (chartPull, bool) {
	if len(args) == 0 || args[0] != "pull" {
		return chartPull{}, false
	}
	var p chartPull
	untar := false
	var names []string
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		flag, value, hasValue := strings.Cut(rest[i], "=")
		takeValue := func() bool {
			if hasValue {
				return true
			}
			if i+1 == len(rest) {
				return false
			}
			i++
			value = rest[i]
			return true
		}
		switch flag {
		case "--untar":
			untar = !hasValue
		case "--untardir":
			if !takeValue() {
				return chartPull{}, false
			}
			p.untardir = absFrom(cwd, value)
		case "--repo":
			if !takeValue() {
				return chartPull{}, false
			}
			p.repo = value
		case "--version":
			if !takeValue() {
				return chartPull{}, false
			}
			p.version = value
		default:
			if strings.HasPrefix(rest[i], "-") {
				return chartPull{}, false
			}
			names = append(names, rest[i])
		}
	}
	u, err := url.Parse(p.repo)
	if !untar || p.untardir == "" || p.version == "" || len(names) != 1 || err != nil ||
		(u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return chartPull{}, false
	}
	p.name = names[0]
	if p.name == "" || strings.ContainsAny(p.name, `/\`) || p.name == "." || p.name == ".." {
		return chartPull{}, false
	}
	return p, true
}

// chartCache is the guard's view of the cache directory.
type chartCache struct {
	dir    string
	client *http.Client
}

// key is the entry of p whose index gives digest.
func (p chartPull) key(digest string) string {
	h := sha256.New()
	for _, s := range []string{p.repo, p.name, p.version, digest} {
		_, _ = io.WriteString(h, s)
		_, _ = h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// digest reads the repository's index and returns the digest it gives for
// p's version, or "" when it gives none.
func (c chartCache) digest(ctx context.Context, p chartPull) (string, error) {
	indexURL := strings.TrimSuffix(p.repo, "/") + "/index.yaml"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, indexURL, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("index: %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxIndexBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxIndexBytes {
		return "", errors.New("index too large")
	}
	var index struct {
		Entries map[string][]struct {
			Version string `json:"version"`
			Digest  string `json:"digest"`
		} `json:"entries"`
	}
	if err := yaml.Unmarshal(b, &index); err != nil {
		return "", err
	}
	for _, e := range index.Entries[p.name] {
		if e.Version == p.version {
			return e.Digest, nil
		}
	}
	return "", nil
}

// restore copies the cached chart of key into the pull's directory through
// root; false when there is no such entry.
func (c chartCache) restore(root *workdir.Root, p chartPull, key string) (bool, error) {
	src := filepath.Join(c.dir, key, p.name)
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return false, nil
	}
	dst, err := root.Rel(filepath.Join(p.untardir, p.name))
	if err != nil {
		return false, err
	}
	now := time.Now()
	_ = os.Chtimes(filepath.Join(c.dir, key), now, now) // most recently used
	err = copyChartTree(src, func(rel string) error { return root.MkdirAll(filepath.Join(dst, rel), 0o755) },
		func(rel string, b []byte) error { return root.WriteFile(filepath.Join(dst, rel), b, 0o644) })
	return err == nil, err
}

// store copies the chart helm just pulled into the cache under key, unless
// it holds anything but directories and regular files. A concurrent store
// of the same key wins or loses as a whole.
func (c chartCache) store(p chartPull, key string) error {
	src := filepath.Join(p.untardir, p.name)
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(c.dir, ".store-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	target := filepath.Join(tmp, p.name)
	err = copyChartTree(src, func(rel string) error { return os.MkdirAll(filepath.Join(target, rel), 0o755) },
		func(rel string, b []byte) error { return os.WriteFile(filepath.Join(target, rel), b, 0o644) })
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, key)); err != nil {
		// Renaming onto an entry another guard stored first fails; theirs
		// is as good as ours.
		if _, statErr := os.Stat(filepath.Join(c.dir, key)); statErr != nil {
			return err
		}
	}
	c.trim()
	return nil
}

// copyChartTree walks a chart directory, calling mkdir for each directory
// and write for each regular file (paths relative to src). Anything else
// (a link, a device) is an error: neither the cache nor a build takes it.
func copyChartTree(src string, mkdir func(rel string) error, write func(rel string, b []byte) error) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return mkdir(rel)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return write(rel, b)
		}
		return fmt.Errorf("%s is a link or special file; charts with those are not cached", rel)
	})
}

// trim removes the least recently used entries beyond chartCacheEntries.
func (c chartCache) trim() {
	trimOldest(c.dir, chartCacheEntries, func(e fs.DirEntry) bool { return e.IsDir() })
}

// trimOldest removes from dir the least recently used (oldest modified)
// entries that isEntry accepts beyond keep. Names starting with a dot are
// stores under way and never counted.
func trimOldest(dir string, keep int, isEntry func(fs.DirEntry) bool) {
	list, err := os.ReadDir(dir)
	if err != nil || len(list) <= keep {
		return
	}
	type entry struct {
		name string
		used time.Time
	}
	var entries []entry
	for _, e := range list {
		if !isEntry(e) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if fi, err := e.Info(); err == nil {
			entries = append(entries, entry{e.Name(), fi.ModTime()})
		}
	}
	if len(entries) <= keep {
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].used.Before(entries[j].used) })
	for _, e := range entries[:len(entries)-keep] {
		_ = os.RemoveAll(filepath.Join(dir, e.name))
	}
}

// cachedPull serves a pull of args from the chart cache when it can. It
// reports whether it did; otherwise store, when not nil, caches what helm
// is about to pull once it succeeded.
func (cfg Config) cachedPull(ctx context.Context, root *workdir.Root, args []string) (served bool, store func()) {
	if cfg.ChartCache == "" {
		return false, nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return false, nil
	}
	p, ok := parseChartPull(cwd, args)
	if !ok {
		return false, nil
	}
	c := chartCache{dir: cfg.ChartCache, client: &http.Client{}}
	digest, err := c.digest(ctx, p)
	if err != nil || digest == "" {
		// helm reads the index too and says what is wrong with it.
		return false, nil
	}
	key := p.key(digest)
	ok, err = c.restore(root, p, key)
	if ok {
		return true, nil
	}
	if err != nil {
		// Leave nothing half-copied in helm's way, and let the entry be
		// stored afresh.
		if rel, relErr := root.Rel(filepath.Join(p.untardir, p.name)); relErr == nil {
			_ = root.RemoveAll(rel)
		}
		_ = os.RemoveAll(filepath.Join(c.dir, key))
	}
	return false, func() { _ = c.store(p, key) }
}
