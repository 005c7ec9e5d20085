package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyardscheme "github.com/railyard-dev/railyard/internal/scheme"
)

// Options are the settings every command shares: where to write, and how to
// reach the cluster.
type Options struct {
	// In is read by "convert -f -"; nil means the process's standard input.
	In io.Reader
	// Out and Err receive the command's output and progress messages.
	Out, Err io.Writer
	// Kubeconfig, Context, Namespace and Project mirror kubectl's flags;
	// Project is another name for Namespace.
	Kubeconfig, Context, Namespace, Project string
	// PollInterval is how often --wait re-reads an object.
	PollInterval time.Duration
	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// NewOptions returns Options writing to out and errOut with defaults.
func NewOptions(out, errOut io.Writer) *Options {
	return &Options{Out: out, Err: errOut, PollInterval: time.Second, Now: time.Now}
}

// AddFlags registers the kubeconfig flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "path of the kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&o.Context, "context", "", "kubeconfig context to use")
	fs.StringVarP(&o.Namespace, "namespace", "n", "", "namespace (project) to work in; default: the context's namespace")
	fs.StringVar(&o.Project, "project", "", "Railyard project: the same as --namespace")
}

// Client returns a client for the cluster and the namespace to work in.
func (o *Options) Client() (client.Client, string, error) {
	if o.Namespace != "" && o.Project != "" && o.Namespace != o.Project {
		return nil, "", usageError{fmt.Errorf("--namespace %q and --project %q disagree; a project is a namespace, give one of them", o.Namespace, o.Project)}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading the kubeconfig (set --kubeconfig or KUBECONFIG): %w", err)
	}
	// kubectl's limits: client-go's defaults (5 QPS) throttle --wait.
	cfg.QPS, cfg.Burst = 50, 100
	ns := o.Namespace
	if ns == "" {
		ns = o.Project
	}
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, "", fmt.Errorf("reading the namespace of the kubeconfig context: %w", err)
		}
	}
	scheme, err := railyardscheme.New()
	if err != nil {
		return nil, "", err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", fmt.Errorf("connecting to %s: %w", cfg.Host, err)
	}
	return c, ns, nil
}
