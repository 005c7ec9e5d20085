package gitsteps

import (
	"context"
	"strings"

	railyard "github.com/railyard-dev/railyard/api/v1alpha1"
	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
)

type tagConfig struct {
	Path    string `json:"path"`
	Tag     string `json:"tag"`
	Message string `json:"message"`
	Force   bool   `json:"force,omitempty"`
}

// Tag is the git-tag step: it creates an annotated tag on the checkout's
// HEAD, locally, as Kargo's does; git-push's `tag` field is what publishes
// a tag. An existing tag is replaced only with force. The tagger is the
// author git-clone recorded, else Railyard's default. Output: commit (the
// tagged HEAD).
type Tag struct{}

// Name implements promotion.Step.
func (Tag) Name() string { return "git-tag" }

// Run implements promotion.Step.
func (Tag) Run(_ context.Context, sc *promotion.StepContext) (promotion.Result, error) {
	var cfg tagConfig
	if err := promotion.DecodeConfig(sc.Config, &cfg); err != nil {
		return failed(err)
	}
	if err := cfg.validate(); err != nil {
		return failed(err)
	}
	c, err := openCheckout(sc, "path", cfg.Path)
	if err != nil {
		return errored(err)
	}
	head, err := c.Head()
	if err != nil {
		return errored(err)
	}
	if head == "" {
		return failed(promotion.Terminalf("%q has no commit to tag", cfg.Path))
	}
	done, err := existingTag(c, cfg, head)
	if err != nil || done {
		if err != nil {
			return errored(err)
		}
		return tagged(head)
	}
	tagger, err := author(c, nil)
	if err != nil {
		return errored(err)
	}
	// Signed with git-clone's key, as Kargo's tag.gpgSign does.
	key, err := signingKey(c, nil)
	if err != nil {
		return errored(err)
	}
	c.SetSigningKey(key)
	if err := c.CreateTag(cfg.Tag, head, cfg.Message, tagger); err != nil {
		return errored(err)
	}
	return tagged(head)
}

func (cfg *tagConfig) validate() error {
	switch {
	case strings.TrimSpace(cfg.Tag) == "":
		return promotion.Terminalf("invalid config: field %q is required", "tag")
	case strings.TrimSpace(cfg.Message) == "":
		return promotion.Terminalf("invalid config: field %q is required", "message")
	}
	if err := git.ValidTagName(cfg.Tag); err != nil || strings.HasPrefix(cfg.Tag, "-") {
		return promotion.Terminalf("invalid config: field %q: %q is not a valid tag name", "tag", cfg.Tag)
	}
	return nil
}

// existingTag handles a tag of the same name. It reports done when the tag
// already is what this step would create, so a resumed Promotion running
// the step again succeeds; another tag is deleted with force and is an
// error without.
func existingTag(c *git.WorkTree, cfg tagConfig, head string) (bool, error) {
	tag, found, err := c.Tag(cfg.Tag)
	if err != nil || !found {
		return false, err
	}
	if tag.Annotated && tag.Target == head && strings.TrimSpace(tag.Message) == strings.TrimSpace(cfg.Message) {
		return true, nil
	}
	if !cfg.Force {
		return false, promotion.Terminalf("tag %q already exists; set force to replace it", cfg.Tag)
	}
	if err := c.DeleteTag(cfg.Tag); err != nil {
		return false, err
	}
	return false, nil
}

func tagged(head string) (promotion.Result, error) {
	return promotion.Result{Status: railyard.StepStatusSucceeded, Output: map[string]any{"commit": head}}, nil
}
