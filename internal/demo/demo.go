package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// ErrTimedOut means a step of the demo did not happen within Options.Timeout.
var ErrTimedOut = errors.New("timed out")

// DefaultTimeout bounds starting the demo and the non-interactive scenario.
const DefaultTimeout = 5 * time.Minute

// firstTag and nextTag are the image tags the scenario pushes.
const (
	firstTag = "v1.0.0"
	nextTag  = "v1.1.0"
)

// Options configure Run.
type Options struct {
	// Out receives the narration; nil means os.Stdout.
	Out io.Writer
	// ManagerLog receives the manager's logs; nil discards them.
	ManagerLog io.Writer
	// NonInteractive runs the whole scenario and returns instead of waiting
	// for ctx to end.
	NonInteractive bool
	// Timeout bounds the start and, non-interactively, the whole scenario;
	// zero means DefaultTimeout.
	Timeout time.Duration
	// ControlAddr is where push-tag requests are taken; empty means
	// DefaultControlAddr, or non-interactively a free port (the scenario
	// finds it itself, and CI may run where 7480 is taken). "127.0.0.1:0"
	// picks a free port.
	ControlAddr string
	// UIAddr is where the web UI listens, a loopback address; empty means
	// a free port on 127.0.0.1. The address is printed ("Web UI: ...").
	UIAddr string
	// Keep, non-interactively, keeps everything running after the scenario
	// until ctx ends, to look around in the web UI and with the CLI.
	Keep bool
	// AfterScenario, if set, is called non-interactively once every step
	// happened, while everything still runs, with the web UI's URL; its
	// error fails Run. The docs' screenshots are taken here.
	AfterScenario func(ctx context.Context, uiURL string) error
}

// Run starts the demo's world, pushes v1.0.0 and tells what happened.
// Interactively it then waits until ctx ends; non-interactively it also
// promotes staging and prod from upstream and pushes v1.1.0 to test, and
// returns an error naming the first step that did not happen. Either way
// it stops everything it started and removes its temporary files before
// returning.
func Run(ctx context.Context, opts Options) (err error) {
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	opts.ControlAddr = controlAddr(opts)
	say := &narrator{out: opts.Out}
	bounded, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	defer func() {
		if err != nil && errors.Is(bounded.Err(), context.DeadlineExceeded) && !errors.Is(err, ErrTimedOut) {
			err = fmt.Errorf("%w after %s: %w", ErrTimedOut, opts.Timeout, err)
		}
	}()

	w, err := startWorld(bounded, opts, say)
	if err != nil {
		return err
	}
	defer func() {
		say.release()
		say.step("Stopping the manager, the servers and the control plane")
		w.stop()
		say.detail("stopped; temporary files removed")
	}()
	ctl, err := startControl(opts.ControlAddr, w)
	if err != nil {
		return err
	}
	w.stops = append(w.stops, ctl.close)

	f, err := w.pushAndAutoPromote(bounded, firstTag, func(ctx context.Context) error {
		_, err := w.pushTag(ctx, firstTag)
		return err
	})
	if err != nil {
		return err
	}
	if opts.NonInteractive {
		return w.finish(ctx, bounded, opts, ctl.addr, f)
	}
	w.printNext(ctl.addr, opts.ControlAddr != DefaultControlAddr)
	watched := make(chan struct{})
	go func() { defer close(watched); (&watcher{w: w}).run(ctx) }()
	<-ctx.Done()
	<-watched // before the world it looks at stops
	return nil
}

// finish runs the non-interactive scenario, then the AfterScenario hook,
// then with Keep waits for ctx (not the scenario's bound) to end.
func (w *world) finish(ctx, bounded context.Context, opts Options, controlAddr string, f *railyard.Freight) error {
	if err := w.scenario(bounded, controlAddr, f); err != nil {
		return err
	}
	if opts.AfterScenario != nil {
		if err := opts.AfterScenario(bounded, w.uiURL); err != nil {
			return err
		}
	}
	if opts.Keep {
		w.say.step("Keeping everything running (--keep); Ctrl-C stops it")
		w.say.detail("Web UI: %s", w.uiURL)
		w.say.detail("export KUBECONFIG=%s", w.env.Kubeconfig)
		<-ctx.Done()
	}
	return nil
}

// controlAddr is where the control endpoint listens: the address asked
// for, else a fixed one people can type, else for a run nobody types into
// a free port.
func controlAddr(opts Options) string {
	switch {
	case opts.ControlAddr != "":
		return opts.ControlAddr
	case opts.NonInteractive:
		return "127.0.0.1:0"
	}
	return DefaultControlAddr
}

// pushAndAutoPromote pushes tag with push and waits for its Freight to
// reach test by itself.
func (w *world) pushAndAutoPromote(ctx context.Context, tag string, push func(context.Context) error) (*railyard.Freight, error) {
	w.say.step("Pushing image %s:%s", imageRepo, tag)
	if err := push(ctx); err != nil {
		return nil, err
	}
	f, err := w.waitFreight(ctx, tag)
	if err != nil {
		return nil, err
	}
	w.say.step("The Warehouse created Freight %s", aliasOf(f))
	w.say.detail("name %s (a hash of its content)", f.Name)
	w.say.detail("%s", describeFreight(f))
	w.say.step("Auto-promotion (ProjectConfig) promotes %s to test", aliasOf(f))
	if err := w.waitStage(ctx, "test", f); err != nil {
		return nil, err
	}
	if err := w.reportStage("test", f); err != nil {
		return nil, err
	}
	return f, nil
}

// scenario is the non-interactive rest: staging and prod from upstream,
// then a new tag through the control endpoint that goes to test by itself.
func (w *world) scenario(ctx context.Context, controlAddr string, f *railyard.Freight) error {
	for _, stage := range stageNames[1:] {
		w.say.step("Promoting %s from upstream", stage)
		if err := w.promoteFromUpstream(ctx, stage); err != nil {
			return err
		}
		if err := w.waitStage(ctx, stage, f); err != nil {
			return err
		}
		if err := w.reportStage(stage, f); err != nil {
			return err
		}
	}
	// Through the control endpoint, as `demo push-tag` does.
	push := func(ctx context.Context) error {
		w.say.detail("$ demo push-tag %s", nextTag)
		_, err := PushTag(ctx, controlAddr, nextTag)
		return err
	}
	if _, err := w.pushAndAutoPromote(ctx, nextTag, push); err != nil {
		return err
	}
	w.say.step("Every step happened: %s went test → staging → prod, and %s reached test by itself", firstTag, nextTag)
	return nil
}

// printNext tells what to try from another terminal.
func (w *world) printNext(controlAddr string, showAddr bool) {
	pushTag := "bin/demo push-tag v1.1.0"
	if showAddr {
		pushTag = "bin/demo push-tag --control-addr " + controlAddr + " v1.1.0"
	}
	w.say.step("The demo is running. Open the web UI, or try, from another terminal:")
	for _, l := range []string{
		"Web UI: " + w.uiURL + "    # the pipeline; Refresh, Promote, Promote from upstream are buttons there",
		"cd " + w.env.Root,
		"export KUBECONFIG=" + w.env.Kubeconfig + "    # its namespace is " + projectName + ", so no -n is needed",
		"bin/k8s/kubectl get freight,stages",
		"bin/railyard get pipeline",
		"bin/railyard promote --stage staging --from-upstream --wait",
		pushTag + "    # or: curl -X POST 'http://" + controlAddr + "/push-tag?tag=v1.1.0'",
		"bin/k8s/kubectl get promotions -w",
	} {
		w.say.detail("%s", l)
	}
	w.say.detail("New Freight, Promotions and Argo CD syncs are reported here as they happen.")
	w.say.detail("Press Ctrl-C to stop everything and remove the temporary files.")
}
