package gittest

import (
	"bytes"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// SigningKey is an OpenPGP key made for a test, in the armored forms
// `gpg --armor --export-secret-keys` and `gpg --armor --export` print.
type SigningKey struct {
	// Private is the unprotected private key, Kargo's signingKey format.
	Private string
	// Public verifies what Private signed.
	Public string
	// Entity is the parsed key.
	Entity *openpgp.Entity
}

// NewSigningKey makes an Ed25519 signing key for name <email>. With a
// passphrase the private key is protected by it.
func NewSigningKey(t testing.TB, name, email, passphrase string) SigningKey {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	e, err := openpgp.NewEntity(name, "", email, cfg)
	if err != nil {
		t.Fatalf("gittest: new key: %v", err)
	}
	var pub bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatalf("gittest: %v", err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatalf("gittest: %v", err)
	}
	_ = w.Close()
	// SerializePrivate signs the identities again; do it before any
	// encryption, which leaves the key unable to sign.
	var priv bytes.Buffer
	w, err = armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatalf("gittest: %v", err)
	}
	if passphrase != "" {
		if err := e.EncryptPrivateKeys([]byte(passphrase), cfg); err != nil {
			t.Fatalf("gittest: encrypt key: %v", err)
		}
		err = e.SerializePrivateWithoutSigning(w, cfg)
	} else {
		err = e.SerializePrivate(w, cfg)
	}
	if err != nil {
		t.Fatalf("gittest: %v", err)
	}
	_ = w.Close()
	return SigningKey{Private: priv.String(), Public: pub.String(), Entity: e}
}
