package git

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrSigningKey means a commit signing key cannot be used; the user must
// provide another.
var ErrSigningKey = errors.New("invalid signing key")

// ParseSigningKey reads an ASCII-armored OpenPGP private key, the format of
// Kargo's signingKey (what `gpg --armor --export-secret-keys` prints). The
// key must hold exactly one primary key whose secret part is not protected
// by a passphrase: nobody is there to type one during a Promotion.
func ParseSigningKey(armored string) (*openpgp.Entity, error) {
	const begin = "-----BEGIN PGP PRIVATE KEY BLOCK-----"
	switch n := strings.Count(armored, begin); {
	case n == 0:
		return nil, fmt.Errorf("%w: not an ASCII-armored OpenPGP private key (want a %q block)", ErrSigningKey, begin)
	case n > 1:
		// The parser would read the first block only.
		return nil, fmt.Errorf("%w: holds %d keys, want exactly one", ErrSigningKey, n)
	}
	list, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		// The parser's messages describe the structure, never key material.
		return nil, fmt.Errorf("%w: %w", ErrSigningKey, err)
	}
	if len(list) != 1 {
		return nil, fmt.Errorf("%w: holds %d keys, want exactly one", ErrSigningKey, len(list))
	}
	e := list[0]
	if e.PrivateKey == nil {
		return nil, fmt.Errorf("%w: holds a public key only", ErrSigningKey)
	}
	if e.PrivateKey.Encrypted {
		return nil, fmt.Errorf("%w: the private key is protected by a passphrase; export it without one", ErrSigningKey)
	}
	if _, ok := e.SigningKey(time.Now()); !ok {
		return nil, fmt.Errorf("%w: the key has no valid signing (sub)key; it may be expired or revoked", ErrSigningKey)
	}
	return e, nil
}

// sign adds a detached signature of c, made with key, to c. Git signs the
// commit's encoding without the signature header.
func sign(c *object.Commit, key *openpgp.Entity) error {
	c.PGPSignature = ""
	obj := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(obj); err != nil {
		return fmt.Errorf("encode commit for signing: %w", err)
	}
	r, err := obj.Reader()
	if err != nil {
		return fmt.Errorf("encode commit for signing: %w", err)
	}
	defer r.Close()
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, key, r, nil); err != nil {
		return fmt.Errorf("sign commit: %w", err)
	}
	c.PGPSignature = sig.String()
	return nil
}
