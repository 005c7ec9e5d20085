package webhook

import "testing"

func TestPath(t *testing.T) {
	// Vector computed outside Go: printf 'kargo-demomy-receivermysupersecret' | sha256sum,
	// which is Kargo's scheme (SHA-256 of project + name + secret value).
	const want = "82300b93ec64884fef73c7f1ec068eb43db8c32a47ac0d819d397800e819379b"
	if got := Path("kargo-demo", "my-receiver", []byte("mysupersecret")); got != want {
		t.Fatalf("Path() = %q, want %q", got, want)
	}
	if got := ReceiverPath("github", "kargo-demo", "my-receiver", []byte("mysupersecret")); got != "/github/"+want {
		t.Fatalf("ReceiverPath() = %q", got)
	}
	if Path("kargo-demo", "my-receiver", []byte("rotated")) == want {
		t.Fatal("rotating the secret must change the path")
	}
}
