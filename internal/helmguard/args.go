package helmguard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/railyard-dev/railyard/internal/workdir"
	"sigs.k8s.io/yaml"
)

// helmInvocation is what the guard learned from a helm command line.
type helmInvocation struct {
	// unpacked are directories (relative to the root) helm unpacks charts
	// into; they are checked again after helm ran.
	unpacked []string
}

// helmPathFlags take a path helm reads or writes; all must be inside the
// work directory (--values may also be kustomize's own temporary copy).
var helmPathFlags = map[string]bool{
	"--untardir": true, "--destination": true, "-d": true, "--output-dir": true,
	"--values": true, "-f": true, "--repository-config": true, "--repository-cache": true,
	"--registry-config": true, "--kubeconfig": true, "--ca-file": true, "--cert-file": true,
	"--key-file": true, "--keyring": true,
}

// helmValueFlags take a value that is not a path.
var helmValueFlags = map[string]bool{
	"--namespace": true, "-n": true, "--version": true, "--repo": true, "--set": true,
	"--set-string": true, "--set-literal": true, "--set-json": true, "--api-versions": true,
	"-a": true, "--kube-version": true, "--name-template": true, "--username": true,
	"--password": true, "--description": true, "--show-only": true, "-s": true,
}

// helmBoolFlags are the flags without a value that the steps and kustomize
// pass. Any other flag is refused: some read files (--set-file, --verify
// with the default keyring) or run programs (--post-renderer).
var helmBoolFlags = map[string]bool{
	"--untar": true, "--devel": true, "--include-crds": true, "--skip-tests": true,
	"--no-hooks": true, "--debug": true, "--generate-name": true, "--release-name": true,
	"--short": true, "--plain-http": true, "--insecure-skip-tls-verify": true,
	"--pass-credentials": true, "--skip-refresh": true, "--skip-crds": true,
}

// checkHelmArgs refuses helm commands other than the ones the steps and
// kustomize run, and paths outside the work directory in them. Charts helm
// will load are checked for links leading out.
func checkHelmArgs(root *workdir.Root, args []string) (helmInvocation, error) {
	var inv helmInvocation
	if len(args) == 0 {
		return inv, fmt.Errorf("no helm command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version":
		return inv, nil
	case "template", "pull":
	case "dependency", "dep", "dependencies":
		// update also rewrites Chart.lock and charts/ of the chart, which
		// checkChart below checks like build's.
		if len(rest) == 0 || rest[0] != "build" && rest[0] != "update" {
			return inv, fmt.Errorf("helm %s other than build or update is not allowed", cmd)
		}
		rest = rest[1:]
	default:
		return inv, fmt.Errorf("helm %s is not allowed", cmd)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return inv, err
	}
	flags := map[string][]string{}
	var positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		if !hasValue && len(name) > 2 && name[1] != '-' {
			name, value, hasValue = name[:2], name[2:], true // -fvalues.yaml
		}
		if helmBoolFlags[name] && !hasValue {
			continue
		}
		if !helmPathFlags[name] && !helmValueFlags[name] {
			return inv, fmt.Errorf("helm flag %s is not allowed", name)
		}
		if !hasValue {
			if i+1 == len(rest) {
				return inv, fmt.Errorf("helm flag %s needs a value", name)
			}
			i++
			value = rest[i]
		}
		flags[name] = append(flags[name], value)
	}
	dest := cwd
	for name, values := range flags {
		if !helmPathFlags[name] {
			continue
		}
		for _, v := range values {
			abs := absFrom(cwd, v)
			if (name == "--values" || name == "-f") && isKustomizeValuesCopy(abs) {
				continue
			}
			rel, err := insideRoot(root, abs, v)
			if err != nil {
				return inv, fmt.Errorf("helm flag %s: %w", name, err)
			}
			switch name {
			case "--destination", "-d":
				dest = abs
				fallthrough
			case "--output-dir":
				// helm writes below these and follows links there.
				if err := root.CheckTree(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return inv, err
				}
			}
		}
	}
	if cmd == "pull" && hasFlag(rest, "--untar") {
		ud := "."
		if v := flags["--untardir"]; len(v) > 0 {
			ud = v[len(v)-1]
		}
		// helm takes a relative untardir from the destination.
		rel, err := insideRoot(root, absFrom(dest, ud), ud)
		if err != nil {
			return inv, fmt.Errorf("helm flag --untardir: %w", err)
		}
		if err := root.CheckTree(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return inv, err
		}
		inv.unpacked = append(inv.unpacked, rel)
	}
	if cmd == "template" && !hasFlag(rest, "--generate-name") && len(positional) > 1 {
		// The release name, which helm validates as a DNS name: never a
		// path, though a directory of that name may exist.
		positional = positional[1:]
	}
	for _, p := range positional {
		if strings.Contains(p, "://") {
			continue // a chart URL
		}
		if _, err := os.Lstat(absFrom(cwd, p)); err != nil && !looksLikePath(p) {
			continue // a release or chart name; helm takes an existing path as a chart
		}
		rel, err := insideRoot(root, absFrom(cwd, p), p)
		if err != nil {
			return inv, fmt.Errorf("chart: %w", err)
		}
		if err := checkChart(root, rel, cmd != "template"); err != nil {
			return inv, err
		}
	}
	return inv, nil
}

// checkChart checks a chart directory (or archive) helm will load, and for
// `dependency build` the file:// repositories of its dependencies.
func checkChart(root *workdir.Root, rel string, deps bool) error {
	if _, err := root.Stat(rel); errors.Is(err, fs.ErrNotExist) {
		return nil // helm reports it
	}
	if err := root.CheckTree(rel); err != nil {
		return err
	}
	if !deps {
		return nil
	}
	for _, f := range []string{"Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock"} {
		b, err := root.ReadFile(filepath.Join(rel, f))
		if err != nil {
			continue
		}
		var meta struct {
			Dependencies []struct {
				Repository string `json:"repository"`
			} `json:"dependencies"`
		}
		if err := yaml.Unmarshal(b, &meta); err != nil {
			continue // helm reports it
		}
		for _, d := range meta.Dependencies {
			dir, ok := strings.CutPrefix(d.Repository, "file://")
			if !ok {
				continue
			}
			depRel, err := insideRoot(root, absFrom(filepath.Join(root.Dir(), rel), dir), d.Repository)
			if err != nil {
				return fmt.Errorf("dependency repository %s of %s: %w", d.Repository, filepath.ToSlash(rel), err)
			}
			if err := root.CheckTree(depRel); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// insideRoot returns abs relative to the root, resolving links, or an error
// naming the path as written when it is not inside.
func insideRoot(root *workdir.Root, abs, written string) (string, error) {
	rel, err := filepath.Rel(root.Dir(), abs)
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		shown := fmt.Sprintf("%q", written)
		if filepath.IsAbs(written) {
			shown = "an absolute path" // which may name the work directory
		}
		return "", fmt.Errorf("%s is outside it", shown)
	}
	if _, err := root.Resolve(rel); err != nil {
		return "", err
	}
	return rel, nil
}

func absFrom(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// isKustomizeValuesCopy matches the values file kustomize's Helm generator
// writes into its own temporary directory (from values it read through our
// confined filesystem) before running helm template.
func isKustomizeValuesCopy(abs string) bool {
	dir, file := filepath.Split(abs)
	dir = filepath.Clean(dir)
	if filepath.Dir(dir) != filepath.Clean(os.TempDir()) ||
		!strings.HasPrefix(filepath.Base(dir), "kustomize-helm-") ||
		!strings.HasSuffix(file, "-kustomize-values.yaml") {
		return false
	}
	for _, p := range []string{dir, abs} {
		if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return false
		}
	}
	return true
}

func looksLikePath(p string) bool {
	return filepath.IsAbs(p) || strings.ContainsRune(p, filepath.Separator) || strings.HasPrefix(p, ".")
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}
