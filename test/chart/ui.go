package chart

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/railyard-dev/railyard/internal/cli"
)

// UIContainer returns the container "ui" of the Deployment railyard-ui.
func UIContainer(objs []*unstructured.Unstructured) (map[string]any, error) {
	d := Find(objs, "Deployment", "railyard-ui")
	if d == nil {
		return nil, errors.New("no Deployment railyard-ui in the rendered chart")
	}
	containers, _, err := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	if err != nil {
		return nil, fmt.Errorf("reading the Deployment's containers: %w", err)
	}
	for _, c := range containers {
		if c, ok := c.(map[string]any); ok && c["name"] == "ui" {
			return c, nil
		}
	}
	return nil, errors.New("the Deployment railyard-ui has no container named ui")
}

// ParseServeArgs parses a UI container's arguments with the flag set of
// 'railyard serve' (cli.BindServeFlags) and checks them as serve does
// before it starts: an unknown flag, a positional argument or flags that
// cannot run a server are errors.
func ParseServeArgs(args []string) (*cli.ServeOptions, error) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	so := &cli.ServeOptions{}
	cli.BindServeFlags(fs, so)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("parsing the UI's arguments %q: %w", args, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("the UI's arguments have positional arguments %q, which serve refuses", fs.Args())
	}
	if _, err := so.ListenAddress(); err != nil {
		return nil, fmt.Errorf("serve would refuse the UI's arguments %q: %w", args, err)
	}
	return so, nil
}
