package main

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"

	uberzap "go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// countingStringer counts how often a field's value is encoded.
type countingStringer struct{ n *atomic.Int32 }

func (s countingStringer) String() string { s.n.Add(1); return "demo/app" }

// Fields added with With are encoded once, when an entry is first written,
// and not at all for a logger that writes nothing or only disabled levels.
func TestLazyFields(t *testing.T) {
	var out bytes.Buffer
	core := zapcore.NewCore(zapcore.NewJSONEncoder(uberzap.NewProductionEncoderConfig()), zapcore.AddSync(&out), zapcore.InfoLevel)
	log := uberzap.New(core, lazyFields())

	var encoded atomic.Int32
	quiet := log.With(uberzap.Stringer("object", countingStringer{&encoded})).With(uberzap.String("reconcileID", "r1"))
	quiet.Debug("not written")
	if n := encoded.Load(); n != 0 {
		t.Fatalf("fields encoded %d times before anything was written", n)
	}

	loud := log.With(uberzap.Stringer("object", countingStringer{&encoded})).With(uberzap.String("reconcileID", "r2"))
	loud.Info("first")
	loud.Info("second")
	if n := encoded.Load(); n != 1 {
		t.Errorf("fields encoded %d times for two entries, want once", n)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, `"object":"demo/app"`) || !strings.Contains(l, `"reconcileID":"r2"`) {
			t.Errorf("entry without its fields: %s", l)
		}
	}
}
