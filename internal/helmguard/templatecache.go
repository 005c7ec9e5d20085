package helmguard

// kustomize runs `helm template` for every chart of every build, and in a
// promotion what changes is mostly an image tag next to the chart, not the
// chart or its values. The guard keeps what `helm template` printed, keyed
// by everything helm reads: its version, the command line with each path
// replaced by the content it names (chart tree, values files; kustomize's
// values copy has a new name every build), so the same chart with the same
// values and flags is printed again without starting helm. A chart whose
// templates call anything that gives a different answer each run (random
// strings, UUIDs, the time, generated keys) is never cached, so its output
// changes as it would with helm.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// templateCacheEntries bounds the template cache; the oldest go first.
const templateCacheEntries = 512

// maxTemplateOutput is the largest output cached.
const maxTemplateOutput = 16 << 20

// unrepeatable matches template functions whose result differs between
// runs (sprig's and helm's).
var unrepeatable = regexp.MustCompile(`\b(rand[A-Za-z0-9]*|uuidv4|now|genCA[A-Za-z]*|genPrivateKey|genSelfSignedCert[A-Za-z]*|genSignedCert[A-Za-z]*|shuffle|bcrypt|htpasswd|encryptAES|getHostByName)\b`)

// templateCache is a directory of `helm template` outputs by key.
type templateCache struct{ dir string }

// templateKey returns the key of a `helm template` command line run from
// cwd, or false when its output must not be cached: a path that cannot be
// read whole, a link in a chart, or a template calling an unrepeatable
// function.
func templateKey(cwd, version string, args []string) (string, bool) {
	if version == "" || len(args) == 0 || args[0] != "template" {
		return "", false
	}
	h := sha256.New()
	write := func(s string) {
		_, _ = io.WriteString(h, s)
		_, _ = h.Write([]byte{0})
	}
	write(version)
	// Paths are replaced by what they hold: a work directory and
	// kustomize's values copy have new names every build.
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if strings.Contains(a, "://") {
				return "", false // a chart URL: helm pulls it, and it may change
			}
			abs := absFrom(cwd, a)
			if _, err := os.Lstat(abs); err != nil {
				write(a) // a release name
				continue
			}
			write("path")
			if !hashPath(h, abs) {
				return "", false
			}
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !hasValue && len(name) > 2 && name[1] != '-' {
			name, value, hasValue = name[:2], name[2:], true // -fvalues.yaml
		}
		if name == "--repo" {
			return "", false // the chart comes from a server
		}
		write(name)
		if !hasValue && (helmPathFlags[name] || helmValueFlags[name]) && i+1 < len(args) {
			i++
			value, hasValue = args[i], true
		}
		switch {
		case helmPathFlags[name]:
			if !hashPath(h, absFrom(cwd, value)) {
				return "", false
			}
		case hasValue:
			write(value)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

// hashPath adds what path holds to h: a file's content, a directory's
// tree, or nothing when it does not exist (a release name). It reports
// false for anything that must not be cached.
func hashPath(h hash.Hash, path string) bool {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		_, _ = io.WriteString(h, "absent\x00")
		return true
	case err != nil:
		return false
	case fi.Mode().IsRegular():
		return hashFile(h, path, fi.Name())
	case !fi.IsDir():
		return false
	}
	ok := true
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		_, _ = io.WriteString(h, rel+"\x00")
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			ok = false
			return filepath.SkipAll
		}
		if !hashFile(h, p, d.Name()) {
			ok = false
			return filepath.SkipAll
		}
		return nil
	})
	return ok && err == nil
}

// hashFile adds a file's content to h; false when a template in it calls
// an unrepeatable function (templates, helpers, and archived subcharts,
// whose templates cannot be told apart cheaply, count as templates).
func hashFile(h hash.Hash, path, name string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if (strings.HasSuffix(name, ".tpl") || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") ||
		strings.HasSuffix(name, ".txt") || strings.HasSuffix(name, ".json")) && bytes.Contains(b, []byte("{{")) &&
		unrepeatable.Match(b) {
		return false
	}
	if strings.HasSuffix(name, ".tgz") || strings.HasSuffix(name, ".tar.gz") {
		return false // an archived subchart's templates are not looked at
	}
	_, _ = fmt.Fprintf(h, "%d\x00", len(b))
	_, _ = h.Write(b)
	return true
}

// load returns the output cached under key.
func (c templateCache) load(key string) ([]byte, bool) {
	p := filepath.Join(c.dir, key)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // most recently used
	return b, true
}

// store caches out under key; a concurrent store of the same key wins or
// loses as a whole.
func (c templateCache) store(key string, out []byte) error {
	if len(out) > maxTemplateOutput {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(c.dir, ".store-")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(f.Name()) }()
	if _, err := f.Write(out); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(c.dir, key)); err != nil {
		return err
	}
	c.trim()
	return nil
}

// trim removes the least recently used entries beyond templateCacheEntries.
func (c templateCache) trim() {
	trimOldest(c.dir, templateCacheEntries, func(e fs.DirEntry) bool { return e.Type().IsRegular() })
}
