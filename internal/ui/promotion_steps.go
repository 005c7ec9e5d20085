package ui

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
)

// Bounds on what a Promotion page shows of step outputs: they are written
// by steps (and, through expressions, by anyone who edits the Stage), so a
// page never grows without limit.
const (
	maxOutputValue = 2 << 10
	maxOutputs     = 50
	maxDiff        = 256 << 10
)

type stepRow struct {
	Index                           int
	Name, Status, Duration, Message string
	Outputs                         []output
}

type output struct {
	Key, Value string
	Truncated  bool
}

// commitMade is a commit a git-commit step made, with its diff when the
// step recorded one.
type commitMade struct {
	Step, Commit  string
	Diff          []diffLine
	DiffTruncated bool
}

// diffLine is one line of a unified diff with its class for colour: add,
// del, hunk, file or none.
type diffLine struct{ Class, Text string }

// stepRows lists the Promotion's steps with their status, duration,
// message and outputs (status.state, by step alias), and the commits its
// git-commit steps made. The engine's metadata follows the steps after
// tasks are inflated, so when it has more entries than the spec (a task)
// the rows follow the metadata.
func (s *Server) stepRows(pr *railyard.Promotion) ([]stepRow, []commitMade) {
	state := decodeState(pr.Status.State)
	md := pr.Status.StepExecutionMetadata
	n := max(len(pr.Spec.Steps), len(md))
	var rows []stepRow
	var commits []commitMade
	for i := range n {
		row := stepRow{Index: i + 1}
		alias, uses := "", ""
		if i < len(pr.Spec.Steps) && len(md) <= len(pr.Spec.Steps) {
			step := pr.Spec.Steps[i]
			alias, uses = step.GetAlias(i), step.Uses
			switch {
			case step.Task != nil:
				row.Name = alias + " (task " + step.Task.Name + ")"
			case step.As == "":
				row.Name = uses
			default:
				row.Name = alias + " (" + uses + ")"
			}
		}
		if i < len(md) {
			m := md[i]
			if m.Alias != "" {
				alias = m.Alias
			}
			if row.Name == "" {
				row.Name = alias
			}
			row.Status, row.Message = string(m.Status), m.Message
			if m.StartedAt != nil {
				end := s.opts.Now()
				if m.FinishedAt != nil {
					end = m.FinishedAt.Time
				}
				row.Duration = end.Sub(m.StartedAt.Time).Round(100 * time.Millisecond).String()
			}
		}
		out, _ := state[alias].(map[string]any)
		row.Outputs = outputsOf(out)
		if c := commitOf(alias, uses, out); c != nil {
			commits = append(commits, *c)
		}
		rows = append(rows, row)
	}
	return rows, commits
}

// decodeState reads status.state; anything but an object of step outputs
// shows no outputs rather than failing the page.
func decodeState(raw *apiextensionsv1.JSON) map[string]any {
	out := map[string]any{}
	if raw == nil || len(raw.Raw) == 0 {
		return out
	}
	_ = json.Unmarshal(raw.Raw, &out)
	return out
}

// outputsOf renders a step's outputs, sorted by key, strings as they are
// and anything else as JSON, each bounded.
func outputsOf(out map[string]any) []output {
	keys := make([]string, 0, len(out))
	for k := range out {
		if k != "diff" { // shown in the Commit section
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var rows []output
	for i, k := range keys {
		if i == maxOutputs {
			rows = append(rows, output{Key: "…", Value: fmt.Sprintf("%d more outputs not shown", len(keys)-maxOutputs)})
			break
		}
		v, ok := out[k].(string)
		if !ok {
			b, _ := json.Marshal(out[k])
			v = string(b)
		}
		o := output{Key: k}
		o.Value, o.Truncated = bound(v, maxOutputValue)
		rows = append(rows, o)
	}
	return rows
}

// commitOf is the commit a git-commit step made (its "commit" output), or
// that any step reported together with a "diff".
func commitOf(alias, uses string, out map[string]any) *commitMade {
	id, _ := out["commit"].(string)
	diff, hasDiff := out["diff"].(string)
	if id == "" || (uses != "git-commit" && !hasDiff) {
		return nil
	}
	c := &commitMade{Step: alias, Commit: id}
	diff, c.DiffTruncated = bound(diff, maxDiff)
	c.Diff = diffLines(diff)
	return c
}

func diffLines(diff string) []diffLine {
	if diff == "" {
		return nil
	}
	var out []diffLine
	for _, l := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n") {
		class := ""
		switch {
		case strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "--- "), strings.HasPrefix(l, "diff "):
			class = "file"
		case strings.HasPrefix(l, "@@"):
			class = "hunk"
		case strings.HasPrefix(l, "+"):
			class = "add"
		case strings.HasPrefix(l, "-"):
			class = "del"
		}
		out = append(out, diffLine{Class: class, Text: l})
	}
	return out
}

// bound cuts s to at most n bytes, on a rune boundary.
func bound(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n], true
}
