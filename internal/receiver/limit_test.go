package receiver

import (
	"testing"

	"github.com/railyard-dev/railyard/internal/webhook"
)

func TestLimiterPerReceiver(t *testing.T) {
	l := newLimiter(1, 3)
	a := &webhook.Receiver{Project: "demo", Name: "a"}
	b := &webhook.Receiver{Project: "demo", Name: "b"}
	for i := range 3 {
		if ok, _ := l.allow(a); !ok {
			t.Fatalf("delivery %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := l.allow(a)
	if ok || wait <= 0 {
		t.Fatalf("4th delivery: ok=%t wait=%s, want refused with a wait", ok, wait)
	}
	if ok, _ := l.allow(b); !ok {
		t.Error("another receiver's bucket was drained by a")
	}
	// The same name in another project is another receiver.
	if ok, _ := l.allow(&webhook.Receiver{Project: "other", Name: "a"}); !ok {
		t.Error("receivers of different projects share a bucket")
	}
}
