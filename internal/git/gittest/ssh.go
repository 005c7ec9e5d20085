package gittest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHServer serves the repositories of a Server over SSH on 127.0.0.1.
// It accepts any user name with the authorized public key and runs only
// git-upload-pack and git-receive-pack (the latter only WithPush).
type SSHServer struct {
	// Addr is host:port of the listener.
	Addr string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey

	root       string
	push       bool
	authorized []byte
	listener   net.Listener
	env        []string

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// GenerateKey returns a new ed25519 private key in OpenSSH PEM form and its
// public key.
func GenerateKey(t testing.TB) ([]byte, ssh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("gittest: %v", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatalf("gittest: %v", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatalf("gittest: %v", err)
	}
	return pem.EncodeToMemory(block), sshPub
}

// StartSSH serves the server's repositories over SSH to clients holding the
// private key of authorized. It stops when the test ends.
func (s *Server) StartSSH(authorized ssh.PublicKey) *SSHServer {
	s.t.Helper()
	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		s.t.Fatalf("gittest: %v", err)
	}
	signer, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		s.t.Fatalf("gittest: %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatalf("gittest: %v", err)
	}
	ss := &SSHServer{
		Addr:       l.Addr().String(),
		HostKey:    signer.PublicKey(),
		root:       s.Root,
		push:       s.cfg.push,
		authorized: authorized.Marshal(),
		listener:   l,
		env:        isolatedGitEnv(s.t),
		conns:      map[net.Conn]struct{}{},
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(ss.authorized) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("unauthorized key")
		},
	}
	cfg.AddHostKey(signer)
	ss.wg.Add(1)
	go ss.serve(cfg)
	s.t.Cleanup(ss.close)
	return ss
}

// RepoURL returns ssh://git@127.0.0.1:PORT/<name>.git.
func (ss *SSHServer) RepoURL(name string) string {
	return "ssh://git@" + ss.Addr + "/" + strings.TrimSuffix(name, ".git") + ".git"
}

// KnownHosts returns a known_hosts line that trusts this server.
func (ss *SSHServer) KnownHosts() []byte {
	return []byte(knownhosts.Line([]string{knownhosts.Normalize(ss.Addr)}, ss.HostKey) + "\n")
}

func (ss *SSHServer) close() {
	_ = ss.listener.Close()
	ss.mu.Lock()
	for c := range ss.conns {
		_ = c.Close()
	}
	ss.mu.Unlock()
	ss.wg.Wait()
}

func (ss *SSHServer) serve(cfg *ssh.ServerConfig) {
	defer ss.wg.Done()
	for {
		nc, err := ss.listener.Accept()
		if err != nil {
			return
		}
		ss.mu.Lock()
		ss.conns[nc] = struct{}{}
		ss.mu.Unlock()
		ss.wg.Add(1)
		go func() {
			defer ss.wg.Done()
			ss.handleConn(nc, cfg)
			ss.mu.Lock()
			delete(ss.conns, nc)
			ss.mu.Unlock()
		}()
	}
}

func (ss *SSHServer) handleConn(nc net.Conn, cfg *ssh.ServerConfig) {
	defer nc.Close()
	conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ss.session(ch, chReqs)
		}()
	}
	wg.Wait()
}

// session answers env requests and runs the first exec request.
func (ss *SSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "env":
			_ = req.Reply(true, nil)
		case "exec":
			var payload struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
				_ = req.Reply(false, nil)
				return
			}
			service, dir, err := ss.parseCommand(payload.Command)
			if err != nil {
				_ = req.Reply(false, nil)
				fmt.Fprintf(ch.Stderr(), "gittest: %v\n", err)
				return
			}
			_ = req.Reply(true, nil)
			code := ss.run(ch, service, dir)
			_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{code}))
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// parseCommand accepts "git-upload-pack '/repo.git'" and the like and
// returns the git subcommand and the repository directory under root.
func (ss *SSHServer) parseCommand(cmd string) (service, dir string, err error) {
	prog, arg, ok := strings.Cut(strings.TrimSpace(cmd), " ")
	if !ok {
		return "", "", fmt.Errorf("unsupported command %q", cmd)
	}
	switch prog {
	case "git-upload-pack":
		service = "upload-pack"
	case "git-receive-pack":
		if !ss.push {
			return "", "", errors.New("push disabled")
		}
		service = "receive-pack"
	default:
		return "", "", fmt.Errorf("unsupported command %q", prog)
	}
	p := strings.Trim(strings.TrimSpace(arg), `'"`)
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return "", "", errors.New("no repository")
	}
	dir = filepath.Join(ss.root, filepath.FromSlash(p))
	if _, err := os.Stat(dir); err != nil {
		return "", "", fmt.Errorf("repository %q not found", p)
	}
	return service, dir, nil
}

func (ss *SSHServer) run(ch ssh.Channel, service, dir string) uint32 {
	cmd := exec.Command("git", service, dir)
	cmd.Env = append(os.Environ(), ss.env...)
	cmd.Stdout = ch
	cmd.Stderr = ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 1
	}
	if err := cmd.Start(); err != nil {
		return 1
	}
	// Our own copy goroutine: Wait must not block on a client that keeps
	// its side of the channel open until it sees exit-status.
	go func() {
		_, _ = io.Copy(stdin, ch)
		_ = stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return uint32(exit.ExitCode())
		}
		return 1
	}
	return 0
}
