// Package forgetest runs a real Gitea server for tests: a git forge with pull
// requests, reached over HTTP on loopback, with its REST API v1 and smart-HTTP
// git. The binary is the one `make gitea` builds into bin/gitea/<version>.
//
// Each Start runs its own server in a temporary directory with a SQLite
// database, one administrator and an access token for it; the server stops
// when the test ends. Repositories live under the administrator, so a
// repository is named by its bare name ("app") or as "owner/name".
package forgetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// modulePath is the main module, used to find the repository root.
const modulePath = "github.com/railyard-dev/railyard"

// versionFile pins the Gitea version, relative to the repository root. The
// build script and this package both read it.
const versionFile = "hack/tools/gitea/VERSION"

// startTimeout bounds one start attempt: migrate, create the administrator,
// and wait for the web server to answer.
const startTimeout = 90 * time.Second

// Forge is a running Gitea server.
type Forge struct {
	url      string
	username string
	password string
	token    string
	dir      string
	version  string
	client   *http.Client
}

// Binary is a built Gitea server: its executable, the static root it reads
// templates and locale files from, and its version.
type Binary struct {
	Path       string
	StaticRoot string
	Version    string
}

// FindBinary locates the Gitea binary `make gitea` builds. The error names
// the make target when the binary is missing.
func FindBinary() (Binary, error) {
	root, err := repoRoot()
	if err != nil {
		return Binary{}, err
	}
	return findBinary(root)
}

func findBinary(root string) (Binary, error) {
	raw, err := os.ReadFile(filepath.Join(root, versionFile))
	if err != nil {
		return Binary{}, fmt.Errorf("forgetest: reading the Gitea version: %w", err)
	}
	version := strings.TrimSpace(string(raw))
	dir := filepath.Join(root, "bin", "gitea", version)
	b := Binary{Path: filepath.Join(dir, "gitea"), Version: version}
	if _, err := os.Stat(b.Path); err != nil {
		return Binary{}, fmt.Errorf("forgetest: Gitea %s is not built (%s is missing): run 'make gitea' first", version, b.Path)
	}
	b.StaticRoot, err = staticRoot(dir, version)
	if err != nil {
		return Binary{}, err
	}
	return b, nil
}

// staticRoot returns the Gitea module directory the build recorded, or asks
// the go command for it when the module cache was cleaned since.
func staticRoot(dir, version string) (string, error) {
	if raw, err := os.ReadFile(filepath.Join(dir, "static-root")); err == nil {
		if p := strings.TrimSpace(string(raw)); hasLocales(p) {
			return p, nil
		}
	}
	cmd := exec.Command("go", "mod", "download", "-json", "code.gitea.io/gitea@v"+version)
	cmd.Env = append(os.Environ(), "GONOSUMDB=gitea.dev", "GOFLAGS=")
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("forgetest: finding Gitea's module directory (its static root): go mod download: %w", err)
	}
	for line := range strings.Lines(string(out)) {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, `"Dir": "`); ok {
			p := strings.TrimSuffix(strings.TrimSuffix(rest, ","), `"`)
			if hasLocales(p) {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("forgetest: go mod download printed no usable Dir for code.gitea.io/gitea@v%s: run 'make gitea'", version)
}

func hasLocales(dir string) bool {
	if dir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "options", "locale"))
	return err == nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("forgetest: %w", err)
	}
	for {
		if raw, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			for line := range strings.Lines(string(raw)) {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok && strings.TrimSpace(rest) == modulePath {
					return dir, nil
				}
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("forgetest: no go.mod of " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

// Options tune StartWith.
type Options struct {
	// RootURL is the public URL Gitea puts in what it sends (web links,
	// clone URLs in webhook payloads), for a forge reached through a proxy;
	// empty means its own address. Gitea still listens on its own address,
	// which URL returns.
	RootURL string
}

// Start runs a Gitea server on a free loopback port and stops it when the
// test ends. It fails the test when the binary is missing (run `make gitea`)
// or the server does not come up.
func Start(t testing.TB) *Forge {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Forge {
	t.Helper()
	bin, err := FindBinary()
	if err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		f, err := start(t, bin, opts)
		if err == nil {
			return f
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	t.Fatal(lastErr)
	return nil
}

var errPortTaken = errors.New("port taken")

func start(t testing.TB, bin Binary, opts Options) (*Forge, error) {
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	f := &Forge{
		url:      "http://127.0.0.1:" + strconv.Itoa(port),
		username: "railyard",
		password: randomHex(16),
		dir:      dir,
		version:  bin.Version,
		client:   &http.Client{Timeout: 60 * time.Second},
	}
	conf := filepath.Join(dir, "app.ini")
	if err := os.WriteFile(conf, []byte(config(dir, bin.StaticRoot, port, opts.RootURL)), 0o600); err != nil {
		return nil, fmt.Errorf("forgetest: %w", err)
	}
	env := append(os.Environ(),
		"GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true",
		"GITEA_WORK_DIR="+dir,
		"GITEA_CUSTOM="+filepath.Join(dir, "custom"),
		"HOME="+filepath.Join(dir, "home"),
		"GIT_CONFIG_NOSYSTEM=1",
	)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, bin.Path, append(args, "--config", conf, "--work-path", dir)...)
		cmd.Env, cmd.Dir = env, dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("forgetest: gitea %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := run("migrate"); err != nil {
		return nil, err
	}
	out, err := run("admin", "user", "create", "--admin",
		"--username", f.username, "--password", f.password, "--email", f.username+"@example.com",
		"--must-change-password=false",
		"--access-token", "--access-token-name", "forgetest", "--access-token-scopes", "all")
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(out) {
		if _, tok, ok := strings.Cut(line, "Access token was successfully created... "); ok {
			f.token = strings.TrimSpace(tok)
		}
	}
	if f.token == "" {
		return nil, fmt.Errorf("forgetest: gitea admin user create printed no access token:\n%s", out)
	}

	logPath := filepath.Join(dir, "gitea.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("forgetest: %w", err)
	}
	cmd := exec.Command(bin.Path, "web", "--config", conf, "--work-path", dir)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("forgetest: starting gitea web: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(exited)
	}()
	stop := func() {
		// Nothing is kept: kill the whole group (git children included).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	if err := f.waitReady(ctx, exited); err != nil {
		stop()
		tail := logTail(logPath, 40)
		if strings.Contains(tail, "address already in use") {
			return nil, errPortTaken
		}
		return nil, fmt.Errorf("%w\ngitea log (%s):\n%s", err, logPath, tail)
	}
	t.Cleanup(stop)
	return f, nil
}

func (f *Forge) waitReady(ctx context.Context, exited <-chan struct{}) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/api/v1/version", nil)
		if resp, err := f.client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("forgetest: gitea web exited before it answered")
		case <-ctx.Done():
			return fmt.Errorf("forgetest: gitea did not answer on %s within %s", f.url, startTimeout)
		case <-tick.C:
		}
	}
}

func logTail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var lines []string
	s := bufio.NewScanner(bytes.NewReader(raw))
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("forgetest: finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// cronTasks are Gitea's scheduled tasks; all are switched off so that none
// runs at start.
var cronTasks = []string{
	"archive_cleanup", "update_mirrors", "repo_health_check", "check_repo_stats",
	"update_migration_poster_id", "sync_external_users", "cleanup_actions",
	"deleted_branches_cleanup", "cleanup_hook_task_table", "cleanup_packages",
	"sync_repo_licenses", "delete_inactive_accounts", "delete_repo_archives",
	"git_gc_repos", "resync_all_sshkeys", "resync_all_sshprincipals",
	"resync_all_hooks", "reinit_missing_repos", "delete_missing_repos",
	"delete_generated_repository_avatars", "delete_old_actions", "update_checker",
	"delete_old_system_notices", "gc_lfs", "rebuild_issue_indexer",
	"stop_zombie_tasks", "stop_endless_tasks", "cancel_abandoned_jobs",
	"start_schedule_tasks",
}

// config is a lean app.ini: SQLite, in-memory queues, cache and sessions, no
// SSH, LFS, mailer, indexers, Actions, packages or cron jobs.
func config(dir, staticRoot string, port int, rootURL string) string {
	if rootURL == "" {
		rootURL = fmt.Sprintf("http://127.0.0.1:%d/", port)
	}
	if !strings.HasSuffix(rootURL, "/") {
		rootURL += "/"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `APP_NAME = forgetest
RUN_MODE = prod
RUN_USER = %[1]s
WORK_PATH = %[2]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[3]d
DOMAIN = 127.0.0.1
ROOT_URL = %[7]s
; links and webhook payloads name ROOT_URL, not the Host of the request
; that caused them (Gitea >= 1.26 defaults to the Host)
PUBLIC_URL_DETECTION = never
STATIC_ROOT_PATH = %[4]s
APP_DATA_PATH = %[2]s/data
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false
OFFLINE_MODE = true
GRACEFUL_HAMMER_TIME = 1s

[database]
DB_TYPE = sqlite3
PATH = %[2]s/data/gitea.db
SQLITE_JOURNAL_MODE = WAL
LOG_SQL = false

[repository]
ROOT = %[2]s/repos
DEFAULT_BRANCH = main
DISABLE_STARS = true

[repository.pull-request]
DEFAULT_MERGE_STYLE = merge

[security]
INSTALL_LOCK = true
SECRET_KEY = %[5]s
INTERNAL_TOKEN = %[6]s
DISABLE_QUERY_AUTH_TOKEN = true
; webhooks may call test servers on loopback
ALLOWED_HOST_LIST = *

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
ENABLE_NOTIFY_MAIL = false
DEFAULT_KEEP_EMAIL_PRIVATE = true

[mailer]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[queue]
TYPE = channel

[cache]
ADAPTER = memory

[session]
PROVIDER = memory

[actions]
ENABLED = false

[packages]
ENABLED = false

[lfs]
PATH = %[2]s/data/lfs

[webhook]
SKIP_TLS_VERIFY = true
DELIVER_TIMEOUT = 10

[migrations]
ALLOW_LOCALNETWORKS = true

[metrics]
ENABLED = false

[api]
ENABLE_SWAGGER = false

[other]
SHOW_FOOTER_VERSION = false

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = %[2]s/log

[cron]
ENABLED = false
`, currentUser(), dir, port, staticRoot, randomHex(32), randomHex(32), rootURL)
	for _, task := range cronTasks {
		fmt.Fprintf(&b, "\n[cron.%s]\nENABLED = false\nRUN_AT_START = false\n", task)
	}
	return b.String()
}
