package demo

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// narrator prints what happens in plain words: steps as "==> ...", details
// indented under them. It is safe for concurrent use (the Argo CD stand-in
// and the control endpoint talk too).
type narrator struct {
	mu   sync.Mutex
	out  io.Writer
	held []string
}

// hold keeps a detail until release: what happens in the background (an
// Argo CD sync) would otherwise be told before the Freight or Promotion
// that caused it, which is told when the scenario notices it.
func (n *narrator) hold(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.held = append(n.held, fmt.Sprintf("    "+format+"\n", args...))
}

// release prints the held details, in the order they happened.
func (n *narrator) release() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, l := range n.held {
		_, _ = io.WriteString(n.out, l)
	}
	n.held = nil
}

func (n *narrator) step(format string, args ...any) { n.line("==> ", format, args...) }

func (n *narrator) detail(format string, args ...any) { n.line("    ", format, args...) }

func (n *narrator) line(prefix, format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, _ = fmt.Fprintf(n.out, prefix+format+"\n", args...)
}

// indented returns a writer that prints each line it is given as a detail,
// for the output of the railyard CLI run in-process.
func (n *narrator) indented() io.Writer { return &indentWriter{n: n} }

type indentWriter struct {
	n   *narrator
	buf []byte
}

func (w *indentWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.n.detail("| %s", w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}
