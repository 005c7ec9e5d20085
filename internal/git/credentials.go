package git

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/railyard-dev/railyard/internal/git/redact"
)

// Credentials authenticate against a remote. The zero value means anonymous.
type Credentials struct {
	// Username for HTTP basic auth; with a token, any non-empty name works
	// for most hosts. For SSH it overrides the user of the URL.
	Username string
	// Password or token for HTTP basic auth.
	Password string
	// SSHPrivateKey is a PEM-encoded private key for ssh:// and SCP URLs.
	SSHPrivateKey []byte
	// SSHKnownHosts holds known_hosts lines used to verify the server.
	SSHKnownHosts []byte
	// InsecureIgnoreHostKey disables host key verification for SSH. Only
	// set it when asked to explicitly.
	InsecureIgnoreHostKey bool
	// InsecureSkipTLSVerify disables TLS verification for HTTPS.
	InsecureSkipTLSVerify bool
	// Timeouts bound the network operations made with these credentials.
	Timeouts Timeouts
}

// String never prints secrets.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{Username:%q, Password:%t, SSHPrivateKey:%t}",
		c.Username, c.Password != "", len(c.SSHPrivateKey) > 0)
}

// RemoteKey names a remote as reached with c: the normalized URL and a hash
// of every credential field, so that what was fetched or listed with one
// set of credentials never answers for another. Secrets only go into the
// hash; the key is safe to use as a file name but is never logged.
func RemoteKey(repoURL string, c Credentials) string {
	h := sha256.New()
	for _, part := range [][]byte{
		[]byte(NormalizeURL(repoURL)), []byte(c.Username), []byte(c.Password), c.SSHPrivateKey, c.SSHKnownHosts,
		{boolByte(c.InsecureIgnoreHostKey), boolByte(c.InsecureSkipTLSVerify)},
	} {
		// Length-prefixed, so that no two field sequences hash alike.
		_ = binary.Write(h, binary.BigEndian, uint32(len(part)))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func (c Credentials) secrets() []string {
	return []string{c.Password, string(c.SSHPrivateKey)}
}

// remote is a normalized URL plus the go-git auth to reach it.
type remote struct {
	url      string
	auth     transport.AuthMethod
	insecure bool
	creds    Credentials
}

// newRemote normalizes rawURL, rejects credentials embedded in it and builds
// the auth method matching its transport.
func newRemote(rawURL string, c Credentials) (*remote, error) {
	norm := NormalizeURL(rawURL)
	u, err := url.Parse(norm)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid repository URL %q", ErrInvalidURL, RedactURL(rawURL))
	}
	// url.Parse misses a password holding '/' ("https://u:1/2@host/r"
	// parses with host "u:1"), which go-git still sends; redact's text rule
	// does not.
	if _, ok := u.User.Password(); ok || redact.URL(rawURL) != rawURL {
		return nil, fmt.Errorf("%w: repository URL %q must not embed a password; use credentials",
			ErrInvalidURL, RedactURL(rawURL))
	}
	r := &remote{url: norm, insecure: c.InsecureSkipTLSVerify, creds: c}
	switch {
	case isSSH(norm):
		r.auth, err = sshAuth(u, c)
		if err != nil {
			return nil, err
		}
	case u.Scheme == "http" || u.Scheme == "https":
		if c.Username != "" || c.Password != "" {
			user := c.Username
			if user == "" {
				// Token-only credentials: hosts ignore the name but need one.
				user = "git"
			}
			r.auth = &githttp.BasicAuth{Username: user, Password: c.Password}
		}
	case u.Scheme == "file" || u.Scheme == "":
		// Local paths are used only in tests and tools.
	default:
		return nil, fmt.Errorf("%w: unsupported scheme %q in %q", ErrInvalidURL, u.Scheme, RedactURL(rawURL))
	}
	return r, nil
}

// begin bounds one network operation on r. It returns the operation's
// context, the go-git ProxyOptions that route SSH through the bounded dialer
// (see sshdial.go), and a func to call once the operation is over.
func (r *remote) begin(ctx context.Context) (context.Context, transport.ProxyOptions, func()) {
	ctx, cancel := operationContext(ctx, r.creds.Timeouts)
	po, release := sshProxyOptions(ctx, r.url)
	return ctx, po, func() { release(); cancel() }
}

func sshAuth(u *url.URL, c Credentials) (transport.AuthMethod, error) {
	if len(c.SSHPrivateKey) == 0 {
		return nil, fmt.Errorf("%w: an SSH private key is required for %q", ErrAuthentication, RedactURL(u.String()))
	}
	user := c.Username
	if user == "" && u.User != nil {
		user = u.User.Username()
	}
	if user == "" {
		user = "git"
	}
	keys, err := gitssh.NewPublicKeys(user, c.SSHPrivateKey, "")
	if err != nil {
		// The parser's message never contains key material, but be sure.
		return nil, fmt.Errorf("%w: parse SSH private key: %s", ErrAuthentication,
			redactIn(err.Error(), c.secrets()...))
	}
	switch {
	case c.InsecureIgnoreHostKey:
		keys.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // explicitly requested
	case len(c.SSHKnownHosts) > 0:
		cb, err := knownHostsCallback(c.SSHKnownHosts)
		if err != nil {
			return nil, err
		}
		keys.HostKeyCallback = cb
	default:
		// go-git falls back to the user's ~/.ssh/known_hosts.
	}
	return keys, nil
}

// knownHostsCallback builds a host key check from known_hosts content.
// The parser only reads files, so the content goes through a temp file that
// is removed once parsed.
func knownHostsCallback(data []byte) (ssh.HostKeyCallback, error) {
	f, err := os.CreateTemp("", "railyard-known-hosts-*")
	if err != nil {
		return nil, fmt.Errorf("write known_hosts: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return nil, fmt.Errorf("write known_hosts: %w", err)
	}
	cb, err := knownhosts.New(f.Name())
	if err != nil {
		return nil, fmt.Errorf("%w: parse known_hosts: %w", ErrAuthentication, err)
	}
	return cb, nil
}
