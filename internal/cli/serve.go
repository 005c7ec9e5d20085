package cli

import (
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
	"k8s.io/client-go/tools/clientcmd"

	"github.com/railyard-dev/railyard/internal/ui"
	"github.com/railyard-dev/railyard/internal/ui/auth"
)

// serveOptions are the flags of 'railyard serve'.
type serveOptions struct {
	local                     bool
	address, externalURL      string
	issuer, clientID          string
	scopes                    []string
	usernameClaim, groupClaim string
	userPrefix, groupPrefix   string
	sessionTTL                time.Duration
}

func newServeCommand(opts *Options) *cobra.Command {
	var so serveOptions
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
	f := cmd.Flags()
	f.BoolVar(&so.local, "local", false, "loopback mode: listen on 127.0.0.1, no login, act with the local kubeconfig")
	f.StringVar(&so.address, "address", "", "address to listen on (default :8080, with --local 127.0.0.1:8080)")
	f.StringVar(&so.externalURL, "external-url", "", "the URL browsers reach the UI at; the OIDC callback is its /auth/callback")
	f.StringVar(&so.issuer, "oidc-issuer", "", "OIDC issuer URL")
	f.StringVar(&so.clientID, "oidc-client-id", "", "OIDC client ID")
	f.StringSliceVar(&so.scopes, "oidc-scopes", []string{"openid", "profile", "email", "groups"}, "OIDC scopes to request")
	f.StringVar(&so.usernameClaim, "oidc-username-claim", "sub", "ID token claim naming the user (as kube-apiserver's --oidc-username-claim)")
	f.StringVar(&so.groupClaim, "oidc-groups-claim", "groups", "ID token claim listing the user's groups")
	f.StringVar(&so.userPrefix, "oidc-username-prefix", "oidc:", "prefix of impersonated user names (as kube-apiserver's --oidc-username-prefix)")
	f.StringVar(&so.groupPrefix, "oidc-groups-prefix", "oidc:", "prefix of impersonated groups")
	f.DurationVar(&so.sessionTTL, "session-ttl", 8*time.Hour, "how long a login lasts")
	return cmd
}

func serve(cmd *cobra.Command, opts *Options, so serveOptions) error {
	addr := so.address
	if addr == "" {
		addr = ":8080"
		if so.local {
			addr = "127.0.0.1:8080"
		}
	}
	if so.local {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			return usageError{fmt.Errorf("--local listens on a loopback address only; %q is not one (try 127.0.0.1:8080)", addr)}
		}
	} else if so.issuer == "" || so.clientID == "" || so.externalURL == "" {
		return usageError{fmt.Errorf("give --oidc-issuer, --oidc-client-id and --external-url, or --local for loopback mode")}
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
	cfg.QPS, cfg.Burst = 50, 100
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	log := slog.New(slog.NewTextHandler(opts.Err, nil))
	run, err := ui.Start(cmd.Context(), ui.RunOptions{
		Config: cfg, Listener: ln, UserPrefix: so.userPrefix, GroupPrefix: so.groupPrefix, Logger: log,
		Auth: auth.Config{
			Local: so.local, Issuer: so.issuer, ClientID: so.clientID, ClientSecret: os.Getenv("RAILYARD_OIDC_CLIENT_SECRET"),
			Scopes: so.scopes, ExternalURL: so.externalURL, UsernameClaim: so.usernameClaim, GroupsClaim: so.groupClaim,
			SessionTTL: so.sessionTTL, Key: key,
		},
	})
	if err != nil {
		_ = ln.Close()
		return err
	}
	if so.local {
		_, _ = fmt.Fprintf(opts.Out, "Railyard UI on %s (loopback mode: acting with your kubeconfig)\n", run.URL)
	} else {
		_, _ = fmt.Fprintf(opts.Out, "Railyard UI listening on %s, reached at %s\n", ln.Addr(), so.externalURL)
	}
	return run.Wait()
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
