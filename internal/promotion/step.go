package promotion

// This file holds the contract between the engine and the built-in steps.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/workdir"
)

// Step is a built-in promotion step such as git-clone or yaml-update.
// Steps must be idempotent: a Promotion resumed after a restart may run a
// step again, and it must then change nothing twice.
type Step interface {
	// Name is what `uses:` refers to.
	Name() string
	// Run executes the step with its evaluated configuration. It returns a
	// *TerminalError (see Terminal) for problems that no retry can fix, such
	// as invalid configuration; other errors count toward the retry threshold.
	Run(ctx context.Context, sc *StepContext) (Result, error)
}

// WorkDirOnly is implemented by steps whose only lasting effects are in
// the Promotion's work directory and its step outputs (they may read from
// the network, as git-clone does). Running one again changes nothing
// elsewhere, so a preview runs exactly these (see Preview) and skips the
// others.
type WorkDirOnly interface {
	WorkDirOnly()
}

// NoWorkDir is implemented by steps that neither read nor write the work
// directory, such as argocd-update. Once only such steps are left, the
// engine releases the directory (the git cache takes its checkouts back
// for the next Promotion) instead of keeping it while a step waits, and a
// Promotion that lost it then goes on where it was.
type NoWorkDir interface {
	NoWorkDir()
}

// Defaults is implemented by steps whose retry defaults differ from the
// engine's (one attempt, no timeout), such as argocd-update.
type Defaults interface {
	DefaultTimeout() time.Duration
	DefaultErrorThreshold() uint32
}

// StepContext is what a step sees of its Promotion.
type StepContext struct {
	// WorkDir is the Promotion's absolute work directory. Every path in step
	// configuration is relative to it; use Path to resolve one.
	WorkDir string
	// Project is the project namespace.
	Project string
	// Stage is the name of the Stage being promoted to.
	Stage string
	// Promotion is the name of the Promotion.
	Promotion string
	// Alias is this step's alias.
	Alias string
	// Freight is the collection the Stage will run after the promotion.
	Freight railyard.FreightCollection
	// TargetFreight is the Freight being promoted.
	TargetFreight railyard.FreightReference
	// Config is the step's configuration after expressions were evaluated.
	Config map[string]any
	// Client reads and writes cluster objects (Argo CD Applications,
	// Secrets); nil for steps that do not need one.
	Client client.Client
	// Credentials finds credentials for repositories; nil when unavailable.
	Credentials CredentialsProvider
}

// Credentials are what a step may use to reach a repository.
type Credentials struct {
	Username      string
	Password      string
	SSHPrivateKey string
	// GitHub App credentials of a git Secret (githubAppID or
	// githubAppClientID, githubAppInstallationID, githubAppPrivateKey).
	GitHubAppID             string
	GitHubAppClientID       string
	GitHubAppInstallationID string
	GitHubAppPrivateKey     string
	// Provider is the git provider the Secret names, if any.
	Provider string
}

// CredentialsProvider looks up credentials of a type ("git", "helm",
// "image") for a repository URL in the project. It returns nil, nil when
// there are none.
type CredentialsProvider interface {
	Get(ctx context.Context, namespace, credType, repoURL string) (*Credentials, error)
}

// Result is the outcome of one run of a step.
type Result struct {
	// Status is Succeeded, Skipped, Running (poll again) or Failed.
	Status railyard.StepStatus
	// Message explains the status for people.
	Message string
	// Output is published under the step's alias.
	Output map[string]any
	// RetryAfter asks to be run again after this long; with Status Running.
	// When WaitingOn is set it is only a fallback for a missed change.
	RetryAfter time.Duration
	// WaitingOn names the objects a Running step waits on, so that a watch
	// on them runs the step again as soon as one changes.
	WaitingOn []ObjectRef
	// HealthCheck, if set, is criteria the Stage evaluates after the
	// promotion (argocd-update leaves one).
	HealthCheck *railyard.HealthCheckStep
}

// ObjectRef names a cluster object by kind and key.
type ObjectRef struct {
	schema.GroupKind
	types.NamespacedName
}

// TerminalError marks a failure that retrying cannot fix.
type TerminalError struct{ Err error }

func (e *TerminalError) Error() string { return e.Err.Error() }
func (e *TerminalError) Unwrap() error { return e.Err }

// Terminal wraps err as a TerminalError.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return &TerminalError{Err: err}
}

// Terminalf formats a TerminalError.
func Terminalf(format string, args ...any) error {
	return &TerminalError{Err: fmt.Errorf(format, args...)}
}

// IsTerminal reports whether err is or wraps a TerminalError, or a
// refusal of the work-directory confinement (a path out of it), which no
// retry can fix either.
func IsTerminal(err error) bool {
	var t *TerminalError
	return errors.As(err, &t) || workdir.IsRefused(err)
}

// DecodeConfig decodes a step's configuration into out, refusing unknown
// fields. A violation is a TerminalError naming the field.
func DecodeConfig(config map[string]any, out any) error {
	raw, err := json.Marshal(config)
	if err != nil {
		return Terminalf("invalid config: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return Terminalf("invalid config: %s", describeDecodeError(err))
	}
	return nil
}

func describeDecodeError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("field %q must be of type %s, not %s", typeErr.Field, typeErr.Type, typeErr.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Registry holds the steps known by name.
type Registry struct {
	mu    sync.RWMutex
	steps map[string]Step
}

// NewRegistry returns a registry holding the given steps.
func NewRegistry(steps ...Step) *Registry {
	r := &Registry{steps: map[string]Step{}}
	for _, s := range steps {
		r.Register(s)
	}
	return r
}

// Register adds a step, replacing one of the same name.
func (r *Registry) Register(s Step) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps[s.Name()] = s
}

// Lookup returns the step called name.
func (r *Registry) Lookup(name string) (Step, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.steps[name]
	return s, ok
}

// Names lists the registered step names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.steps))
	for n := range r.steps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
