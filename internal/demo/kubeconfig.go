package demo

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
)

// setDefaultNamespace makes ns the namespace of the kubeconfig's current
// context, so that kubectl and railyard pointed at the demo need no -n.
func setDefaultNamespace(path, ns string) error {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return fmt.Errorf("reading the kubeconfig %s: %w", path, err)
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return fmt.Errorf("the kubeconfig %s has no current context", path)
	}
	ctx.Namespace = ns
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing the kubeconfig %s: %w", path, err)
	}
	return nil
}
