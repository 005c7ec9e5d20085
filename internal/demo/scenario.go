package demo

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/cli"
	"github.com/railyard-dev/railyard/internal/freight"
)

// originKey is how Stages key the demo Warehouse's Freight.
const originKey = "Warehouse/" + warehouseName

// waitFreight waits for the Freight whose image carries tag.
func (w *world) waitFreight(ctx context.Context, tag string) (*railyard.Freight, error) {
	var found *railyard.Freight
	err := poll(ctx, "Freight with image tag "+tag, func() (bool, string) {
		list := &railyard.FreightList{}
		if err := w.env.Client.List(ctx, list, client.InNamespace(projectName)); err != nil {
			return false, err.Error()
		}
		for i := range list.Items {
			if f := &list.Items[i]; len(f.Images) == 1 && f.Images[0].Tag == tag {
				found = f
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d Freight; Warehouse: %s", len(list.Items), w.conditions(ctx, &railyard.Warehouse{}, warehouseName))
	})
	return found, err
}

// waitStage waits until stage runs the Freight and is healthy, failing at
// once when the Freight's Promotion to it failed.
func (w *world) waitStage(ctx context.Context, stage string, f *railyard.Freight) error {
	return poll(ctx, fmt.Sprintf("Stage %s to run Freight %s and be healthy", stage, aliasOf(f)), func() (bool, string) {
		s := &railyard.Stage{}
		if err := w.env.Client.Get(ctx, client.ObjectKey{Namespace: projectName, Name: stage}, s); err != nil {
			return false, err.Error()
		}
		if currentFreight(s) == f.Name && s.Status.Health != nil && s.Status.Health.Status == railyard.HealthStateHealthy {
			return true, ""
		}
		state := fmt.Sprintf("current Freight %q, health %v; %s", s.Status.FreightSummary, s.Status.Health, w.conditions(ctx, s, stage))
		if p := w.lastPromotion(ctx, stage, f.Name); p != nil {
			state += fmt.Sprintf("; Promotion %s %s %q", p.Name, p.Status.Phase, p.Status.Message)
		}
		return false, state
	})
}

// reportStage tells what stage now runs: the Freight, the commit on its
// branch and the image line rendered there. It is an error when the
// branch does not render the Freight's image.
func (w *world) reportStage(stage string, f *railyard.Freight) error {
	branch := stageBranch(stage)
	head := w.git.head(gitopsRepo, branch)
	manifests, err := w.git.readFile(gitopsRepo, branch, "manifests.yaml")
	if err != nil {
		return fmt.Errorf("reading manifests.yaml on %s: %w", branch, err)
	}
	want := w.image + ":" + f.Images[0].Tag
	line := imageLine(manifests, want)
	if line == "" {
		return fmt.Errorf("the commit %s on %s does not render image %s:\n%s", short(head), branch, want, manifests)
	}
	w.say.release() // the syncs that brought it there
	w.say.detail("Stage %s runs Freight %s, healthy", stage, aliasOf(f))
	w.say.detail("commit %s on branch %s renders %q", short(head), branch, line)
	return nil
}

// promoteFromUpstream runs `railyard promote --stage S --from-upstream
// --wait` in-process, exactly as a person would from another terminal.
func (w *world) promoteFromUpstream(ctx context.Context, stage string) error {
	args := []string{"promote", "--stage", stage, "--from-upstream", "--wait", "-n", projectName, "--kubeconfig", w.env.Kubeconfig}
	w.say.detail("$ railyard %s", strings.Join(args[:len(args)-2], " "))
	out := w.say.indented()
	if code := cli.Execute(ctx, args, out, out); code != cli.ExitOK {
		return fmt.Errorf("railyard promote --stage %s --from-upstream exited %d", stage, code)
	}
	return nil
}

func (w *world) lastPromotion(ctx context.Context, stage, freightName string) *railyard.Promotion {
	list := &railyard.PromotionList{}
	if err := w.env.Client.List(ctx, list, client.InNamespace(projectName)); err != nil {
		return nil
	}
	var last *railyard.Promotion
	for i := range list.Items {
		p := &list.Items[i]
		if p.Spec.Stage == stage && promotedFreight(p) == freightName && (last == nil || p.Name > last.Name) {
			last = p
		}
	}
	return last
}

// conditions summarizes an object's conditions for error messages.
func (w *world) conditions(ctx context.Context, obj client.Object, name string) string {
	if err := w.env.Client.Get(ctx, client.ObjectKey{Namespace: projectName, Name: name}, obj); err != nil {
		return err.Error()
	}
	var conds []string
	switch o := obj.(type) {
	case *railyard.Warehouse:
		for _, c := range o.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s (%s)", c.Type, c.Status, c.Message))
		}
	case *railyard.Stage:
		for _, c := range o.Status.Conditions {
			conds = append(conds, fmt.Sprintf("%s=%s (%s)", c.Type, c.Status, c.Message))
		}
	}
	return strings.Join(conds, "; ")
}

func currentFreight(s *railyard.Stage) string {
	if len(s.Status.FreightHistory) == 0 {
		return ""
	}
	return s.Status.FreightHistory[0].Freight[originKey].Name
}

func promotedFreight(p *railyard.Promotion) string {
	if p.Spec.Freight != "" {
		return p.Spec.Freight
	}
	if p.Status.Freight != nil {
		return p.Status.Freight.Name
	}
	return ""
}

// aliasOf is the Freight's alias, or its short name without one.
func aliasOf(f *railyard.Freight) string {
	if a := freight.AliasOf(f); a != "" {
		return a
	}
	return short(f.Name)
}

// describeFreight is the Freight's artifacts in one line.
func describeFreight(f *railyard.Freight) string {
	var parts []string
	for _, i := range f.Images {
		parts = append(parts, "image "+i.RepoURL+":"+i.Tag)
	}
	for _, c := range f.Charts {
		parts = append(parts, "chart "+c.Name+" "+c.Version)
	}
	for _, c := range f.Commits {
		parts = append(parts, "commit "+short(c.ID)+" of "+c.Branch)
	}
	return strings.Join(parts, ", ")
}

// imageLine is the trimmed manifest line setting image ref ("" if none).
func imageLine(manifests, ref string) string {
	for _, l := range strings.Split(manifests, "\n") {
		t := strings.TrimPrefix(strings.TrimSpace(l), "- ")
		if strings.HasPrefix(t, "image:") && strings.TrimSpace(strings.TrimPrefix(t, "image:")) == ref {
			return t
		}
	}
	return ""
}
