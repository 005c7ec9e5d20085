package gitsteps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/railyard-dev/railyard/internal/git"
	"github.com/railyard-dev/railyard/internal/promotion"
)

// signingKeyFile holds, inside the checkout's .git directory, the signing
// key git-clone was given, for git-commit, git-tag and git-push (which
// re-signs the commits it replays). Readable by the manager only; .git is
// never pushed.
const signingKeyFile = "railyard-signing-key.asc"

// parseSigningKey checks a configured signing key; field names it in the
// error.
func parseSigningKey(field, armored string) (*openpgp.Entity, error) {
	key, err := git.ParseSigningKey(armored)
	if err != nil {
		return nil, promotion.Terminalf("invalid config: field %q: %w", field, err)
	}
	return key, nil
}

func signingKeyPath(c *git.WorkTree) string {
	return filepath.Join(c.Dir(), ".git", signingKeyFile)
}

// saveSigningKey stores armored for later steps; "" removes a stored key.
func saveSigningKey(c *git.WorkTree, armored string) error {
	if armored == "" {
		if err := os.Remove(signingKeyPath(c)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stored signing key: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(signingKeyPath(c), []byte(armored), 0o600); err != nil {
		return fmt.Errorf("store signing key: %w", err)
	}
	return nil
}

// signingKey is the step's author.signingKey, else the one git-clone
// stored, else nil (commits are not signed).
func signingKey(c *git.WorkTree, a *Author) (*openpgp.Entity, error) {
	if a != nil && a.SigningKey != "" {
		return parseSigningKey("author.signingKey", a.SigningKey)
	}
	b, err := os.ReadFile(signingKeyPath(c))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read stored signing key: %w", err)
	}
	key, err := git.ParseSigningKey(string(b))
	if err != nil {
		return nil, promotion.Terminalf("the signing key git-clone stored in the checkout: %w", err)
	}
	return key, nil
}
