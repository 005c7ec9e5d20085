package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
)

// TestCommandLine covers what the demo binary does before any demo runs:
// wrong command lines exit 2, a push-tag with no demo listening exits 1
// and says how to start one.
func TestCommandLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := l.Addr().String()
	_ = l.Close()
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		stderrs string
	}{
		{"unknown flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"help", []string{"--help"}, 0, "usage: demo"},
		{"-h", []string{"-h"}, 0, "-non-interactive"},
		{"help names --keep", []string{"-h"}, 0, "-keep"},
		{"help names --ui-addr", []string{"-h"}, 0, "-ui-addr"},
		{"push-tag help", []string{"push-tag", "--help"}, 0, "-control-addr"},
		{"stray argument", []string{"extra"}, 2, "usage: demo"},
		{"push-tag without tag", []string{"push-tag"}, 2, "usage: demo push-tag"},
		{"push-tag with two tags", []string{"push-tag", "a", "b"}, 2, "usage: demo push-tag"},
		{"push-tag with no demo", []string{"push-tag", "--control-addr", free, "v1.1.0"}, 1, "make demo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderrs) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.stderrs)
			}
		})
	}
}
