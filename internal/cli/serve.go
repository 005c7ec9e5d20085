package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/railyard-dev/railyard/internal/ui"
	"github.com/railyard-dev/railyard/internal/ui/auth"
)

// ServeOptions are the flags of 'railyard serve'.
type ServeOptions struct {
	Local                        bool
	Address, ExternalURL         string
	Issuer, ClientID             string
	Scopes                       []string
	UsernameClaim, GroupsClaim   string
	UsernamePrefix, GroupsPrefix string
	SessionTTL                   time.Duration
}

// BindServeFlags defines serve's flags on f. The chart's tests parse the
// rendered UI Deployment's arguments with it, as the manager's are parsed
// with manager.BindFlags.
func BindServeFlags(f *pflag.FlagSet, so *ServeOptions) {
	f.BoolVar(&so.Local, "local", false, "loopback mode: listen on 127.0.0.1, no login, act with the local kubeconfig")
	f.StringVar(&so.Address, "address", "", "address to listen on (default :8080, with --local 127.0.0.1:8080)")
	f.StringVar(&so.ExternalURL, "external-url", "", "the URL browsers reach the UI at; the OIDC callback is its /auth/callback")
	f.StringVar(&so.Issuer, "oidc-issuer", "", "OIDC issuer URL")
	f.StringVar(&so.ClientID, "oidc-client-id", "", "OIDC client ID")
	f.StringSliceVar(&so.Scopes, "oidc-scopes", []string{"openid", "profile", "email", "groups"}, "OIDC scopes to request")
	f.StringVar(&so.UsernameClaim, "oidc-username-claim", "sub", "ID token claim naming the user (as kube-apiserver's --oidc-username-claim)")
	f.StringVar(&so.GroupsClaim, "oidc-groups-claim", "groups", "ID token claim listing the user's groups")
	f.StringVar(&so.UsernamePrefix, "oidc-username-prefix", "oidc:", "prefix of impersonated user names (as kube-apiserver's --oidc-username-prefix)")
	f.StringVar(&so.GroupsPrefix, "oidc-groups-prefix", "oidc:", "prefix of impersonated groups")
	f.DurationVar(&so.SessionTTL, "session-ttl", 8*time.Hour, "how long a login lasts")
}

func newServeCommand(opts *Options) *cobra.Command {
	var so ServeOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web UI (OIDC login, authorised by Kubernetes RBAC)",
		Long: "Serves Railyard's web UI. People log in with OpenID Connect; every action is sent to\n" +
			"the API server as them (impersonation), so Kubernetes RBAC decides what they may do.\n" +
			"With --local it listens on 127.0.0.1 only, needs no login and acts with your kubeconfig.\n" +
			"The client secret is read from $RAILYARD_OIDC_CLIENT_SECRET and the 32-byte session key\n" +
			"(hex or base64) from $RAILYARD_SESSION_KEY; without a key, sessions end on restart.",
		Example: "  railyard serve --local\n" +
			"  railyard serve --external-url https://railyard.example.com --oidc-issuer https://keycloak.example.com/realms/eodhp \\\n" +
			"      --oidc-client-id railyard --oidc-username-prefix oidc: --oidc-groups-prefix oidc:",
		Args: exactArgs(0, "flags only"),
		RunE: func(cmd *cobra.Command, _ []string) error { return serve(cmd, opts, so) },
	}
	BindServeFlags(cmd.Flags(), &so)
	return cmd
}

// ListenAddress is the address serve listens on, or a usage error when
// the flags cannot run a server: loopback mode off a loopback address, or
// OIDC without issuer, client or external URL.
func (so ServeOptions) ListenAddress() (string, error) {
	addr := so.Address
	if addr == "" {
		addr = ":8080"
		if so.Local {
			addr = "127.0.0.1:8080"
		}
	}
	if so.Local {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return "", usageError{fmt.Errorf("--local listens on a loopback address only; %q is not one (try 127.0.0.1:8080)", addr)}
		}
	} else if so.Issuer == "" || so.ClientID == "" || so.ExternalURL == "" {
		return "", usageError{fmt.Errorf("give --oidc-issuer, --oidc-client-id and --external-url, or --local for loopback mode")}
	}
	return addr, nil
}

func serve(cmd *cobra.Command, opts *Options, so ServeOptions) error {
	addr, err := so.ListenAddress()
	if err != nil {
		return err
	}
	key, err := sessionKey(opts)
	if err != nil {
		return err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opts.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context}).ClientConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig (set --kubeconfig or KUBECONFIG; in a cluster the UI uses its ServiceAccount): %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	log := slog.New(slog.NewTextHandler(opts.Err, nil))
	run, err := startUI(cmd.Context(), cfg, ln, so, key, log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	if so.Local {
		_, _ = fmt.Fprintf(opts.Out, "Railyard UI on %s (loopback mode: acting with your kubeconfig)\n", run.URL)
	} else {
		_, _ = fmt.Fprintf(opts.Out, "Railyard UI listening on %s, reached at %s\n", ln.Addr(), so.ExternalURL)
	}
	return run.Wait()
}

// startUI starts the UI server on ln as so configures it, reaching the API
// server with cfg.
func startUI(ctx context.Context, cfg *rest.Config, ln net.Listener, so ServeOptions, key []byte, log *slog.Logger) (*ui.Running, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	return ui.Start(ctx, ui.RunOptions{
		Config: cfg, Listener: ln, UserPrefix: so.UsernamePrefix, GroupPrefix: so.GroupsPrefix, Logger: log,
		Auth: auth.Config{
			Local: so.Local, Issuer: so.Issuer, ClientID: so.ClientID, ClientSecret: os.Getenv("RAILYARD_OIDC_CLIENT_SECRET"),
			Scopes: so.Scopes, ExternalURL: so.ExternalURL, UsernameClaim: so.UsernameClaim, GroupsClaim: so.GroupsClaim,
			SessionTTL: so.SessionTTL, Key: key,
		},
	})
}

// StartLocalUI runs what 'railyard serve --local' runs, on ln (a loopback
// address), acting as cfg; `make demo` serves its UI with it. The session
// key is random: its logins need no lasting.
func StartLocalUI(ctx context.Context, cfg *rest.Config, ln net.Listener, log *slog.Logger) (*ui.Running, error) {
	so := ServeOptions{}
	BindServeFlags(pflag.NewFlagSet("serve", pflag.ContinueOnError), &so) // serve's defaults
	so.Local = true
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("making a session key: %w", err)
	}
	return startUI(ctx, cfg, ln, so, key, log)
}

// sessionKey reads $RAILYARD_SESSION_KEY (32 bytes, hex or base64), or
// makes a random key: then sessions do not survive a restart and replicas
// do not share them.
func sessionKey(opts *Options) ([]byte, error) {
	v := strings.TrimSpace(os.Getenv("RAILYARD_SESSION_KEY"))
	if v == "" {
		_, _ = fmt.Fprintln(opts.Err, "RAILYARD_SESSION_KEY is not set: using a random session key (logins end when the server restarts)")
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("making a session key: %w", err)
		}
		return key, nil
	}
	for _, decode := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if key, err := decode(v); err == nil && len(key) == 32 {
			return key, nil
		}
	}
	return nil, fmt.Errorf("RAILYARD_SESSION_KEY must be 32 bytes in hex or base64 (for example: openssl rand -hex 32)")
}
