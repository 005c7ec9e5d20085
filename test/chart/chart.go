// Package chart renders the Helm chart in charts/railyard with the real helm
// binary and reads what the manager would run with, for the chart's tests
// and for the end-to-end test that runs a manager from the chart's
// arguments.
package chart

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/railyard-dev/railyard/internal/manager"
	"github.com/railyard-dev/railyard/internal/testenv"
)

// Namespace is the release namespace the tests render into, the one
// config/default installs into.
const Namespace = "railyard-system"

// PendingFlags are flags the chart renders (only when their values are set)
// that manager.BindFlags does not define yet: another change adds them.
// ParseManagerArgs leaves them unparsed only while BindFlags lacks them, so
// the tests check them as soon as they land. Remove names once they do.
var PendingFlags = []string{"argocd-namespace", "argocd-kubeconfig"}

// Dir returns the chart's directory.
func Dir() (string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "charts", "railyard"), nil
}

// Helm runs bin/k8s/helm and returns its standard output; on failure the
// error carries its standard error (where helm explains a rejected value).
func Helm(ctx context.Context, args ...string) (string, error) {
	helm, err := testenv.Binary("helm")
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, helm, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w: %s%s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String(), nil
}

// Template renders the chart as release "railyard" in Namespace with the
// given values files (none: the defaults) and extra helm arguments such as
// "--set", "shard=a".
func Template(ctx context.Context, valuesFiles []string, extra ...string) (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	args := []string{"template", "railyard", dir, "--namespace", Namespace}
	for _, f := range valuesFiles {
		args = append(args, "--values", f)
	}
	return Helm(ctx, append(args, extra...)...)
}

// Kustomize builds a kustomization with bin/k8s/kubectl, as `make deploy`
// does.
func Kustomize(ctx context.Context, dir string) (string, error) {
	kubectl, err := testenv.Binary("kubectl")
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kubectl, "kustomize", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kubectl kustomize %s: %w: %s", dir, err, stderr.String())
	}
	return stdout.String(), nil
}

// Objects splits rendered manifests into objects, skipping empty documents.
func Objects(manifests string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("decoding rendered manifests: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// Find returns the object of that kind and name, or nil.
func Find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// ManagerArgs returns the arguments of the container "manager" of the
// Deployment railyard-manager.
func ManagerArgs(objs []*unstructured.Unstructured) ([]string, error) {
	d := Find(objs, "Deployment", "railyard-manager")
	if d == nil {
		return nil, errors.New("no Deployment railyard-manager in the rendered chart")
	}
	containers, _, err := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return nil, fmt.Errorf("reading the Deployment's containers: %w", err)
	}
	for _, c := range containers {
		c, ok := c.(map[string]any)
		if !ok || c["name"] != "manager" {
			continue
		}
		args, _, err := unstructured.NestedStringSlice(c, "args")
		if err != nil {
			return nil, fmt.Errorf("reading the manager's arguments: %w", err)
		}
		return args, nil
	}
	return nil, errors.New("the Deployment railyard-manager has no container named manager")
}

// ManagerFlags are a rendered Deployment's arguments, parsed by the
// manager's own flag set (as cmd/manager does).
type ManagerFlags struct {
	Options manager.Options
	Zap     zap.Options
	// FlagSet holds every parsed flag, to compare with what was rendered.
	FlagSet *flag.FlagSet
	// Pending are the rendered arguments of PendingFlags that BindFlags
	// does not define yet, left unparsed.
	Pending []string
}

// ParseManagerArgs parses args with manager.BindFlags and the zap flags,
// failing on any flag the manager does not know (but PendingFlags not
// defined yet) and on positional arguments, which the manager ignores.
func ParseManagerArgs(args []string) (*ManagerFlags, error) {
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	mf := &ManagerFlags{FlagSet: fs}
	manager.BindFlags(fs, &mf.Options)
	mf.Zap.BindFlags(fs)
	var known []string
	for _, a := range args {
		if name := FlagName(a); slices.Contains(PendingFlags, name) && fs.Lookup(name) == nil {
			mf.Pending = append(mf.Pending, a)
			continue
		}
		known = append(known, a)
	}
	if err := fs.Parse(known); err != nil {
		return nil, fmt.Errorf("parsing the manager's arguments %q: %w", known, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("the manager's arguments have positional arguments %q, which it ignores", fs.Args())
	}
	return mf, nil
}

// FlagName returns the name of a "--name=value" or "--name" argument ("" if
// a is not a flag).
func FlagName(a string) string {
	if !strings.HasPrefix(a, "-") {
		return ""
	}
	name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
	return name
}
